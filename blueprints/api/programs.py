"""Program progress for the LMS and dashboards: the cohort matrix and one participant."""

from __future__ import annotations

from flask import Response

from blueprints.api import ApiBlueprint, error_response
from blueprints.api.schemas import (
    CertificateSchema,
    CohortCertificatesSchema,
    CohortProgressSchema,
    ParticipantProgressSchema,
)
from lms_bridge.access.api_scopes import CREDIT_READ
from lms_bridge.programs import (
    CohortNotFound,
    EnrollmentNotFound,
    read_cohort_progress_json,
    read_participant_progress,
)
from lms_bridge.programs.certificates import (
    CertificateView,
    cohort_certificates,
    verify_certificate,
)

bp = ApiBlueprint(
    "programs",
    __name__,
    description="Kemajuan peserta program pelatihan (progress in blended-learning programs).",
)
READ_PROGRESS = (CREDIT_READ,)
"""Progress names people and their JP, so it is read with the credit-reading scope."""


def _not_found(error: CohortNotFound | EnrollmentNotFound) -> Response:
    return error_response(404, type(error).__name__, str(error))


bp.blueprint.register_error_handler(CohortNotFound, _not_found)
bp.blueprint.register_error_handler(EnrollmentNotFound, _not_found)


@bp.route(
    "/cohorts/<int:cohort_id>/progress",
    methods=["GET"],
    scopes=READ_PROGRESS,
    summary="Matriks kemajuan angkatan (cohort progress: participant by module, JP per mode)",
)
@bp.response(200, CohortProgressSchema)
@bp.alt_response(404, description="Angkatan tidak ditemukan (unknown cohort)")
def cohort_progress(cohort_id: int) -> Response:
    """Every participant's module states, JP done/required per mode, completed and passed.

    The service hands back the encoded matrix (reused while the cohort is unchanged): a
    300-participant matrix is ~300 kB of JSON, too much to rebuild on every reload.
    """
    return Response(read_cohort_progress_json(cohort_id), mimetype="application/json")


@bp.route(
    "/cohorts/<int:cohort_id>/participants/<nip>/progress",
    methods=["GET"],
    scopes=READ_PROGRESS,
    summary="Kemajuan satu peserta (one participant's progress)",
)
@bp.response(200, ParticipantProgressSchema)
@bp.alt_response(404, description="Bukan peserta angkatan ini (not a participant)")
def participant_progress(cohort_id: int, nip: str) -> dict[str, object]:
    """The same row of the matrix for one NIP."""
    return read_participant_progress(cohort_id, nip)


@bp.route(
    "/cohorts/<int:cohort_id>/certificates",
    methods=["GET"],
    scopes=READ_PROGRESS,
    summary="STTPL angkatan (the cohort's certificates, revoked ones included)",
)
@bp.response(200, CohortCertificatesSchema)
@bp.alt_response(404, description="Angkatan tidak ditemukan (unknown cohort)")
def certificates_of_cohort(cohort_id: int) -> dict[str, object]:
    """Every certificate issued in the cohort, by sequence, with its verification code."""
    return {"cohort_id": cohort_id, "certificates": cohort_certificates(cohort_id, None)}


@bp.route(
    "/certificates/<code>",
    methods=["GET"],
    scopes=READ_PROGRESS,
    summary="Verifikasi STTPL (a certificate by its verification code: valid or revoked)",
)
@bp.response(200, CertificateSchema)
@bp.alt_response(404, description="Kode verifikasi tidak dikenal (unknown code)")
def certificate_by_code(code: str) -> CertificateView | Response:
    """What the public page /verifikasi/{code} shows, as JSON, with the NIP."""
    shown = verify_certificate(code)
    if shown is None:
        return error_response(
            404, "CertificateNotFound", "kode verifikasi tidak dikenal (unknown verification code)"
        )
    return shown
