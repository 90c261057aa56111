"""Recording what no LMS sees: classical attendance and workplace assessments, as xAPI.

An instructor's attendance list and a coach's assessment become statements stored through
:func:`lms_bridge.ingest.record_statements`, the path every LMS statement takes, so module
progress, JP, voiding and the audit trail follow exactly as they do for an LMS. The person
who recorded it is the statement's ``authority`` (and ``context.instructor``); the statements'
client is the pages' own client row, created revoked so it can never authenticate.
A mistaken record is voided by a voiding statement through the same path.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from lms_bridge.access import AuthenticatedClient
from lms_bridge.accounts import Principal
from lms_bridge.audit.trail import record_event
from lms_bridge.credit.policy import Policy
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.ingest import record_statements
from lms_bridge.lrs.store import StoreResult
from lms_bridge.models import Client, Cohort, Enrollment, ProgramModule, ProgressEvidence, Statement
from lms_bridge.people.nip import is_nip_shaped
from xapi.fields import NUL, format_timestamp
from xapi.identifiers import VOIDED_VERB, agent_key
from xapi.versions import VERSION_1

PAGES_CLIENT_KEY = "urn:lms-bridge:pages"
"""The client row that statements recorded on the pages are stored under."""
USERS_HOME_PAGE = "urn:lms-bridge:users"
"""``account.homePage`` of the Agent that stands for a signed-in account (name = email)."""
ATTENDED_VERB = "http://adlnet.gov/expapi/verbs/attended"
COMPLETED_VERB = "http://adlnet.gov/expapi/verbs/completed"
SCORED_VERB = "http://adlnet.gov/expapi/verbs/scored"
VERB_NAMES = {
    ATTENDED_VERB: {"id-ID": "menghadiri", "en-US": "attended"},
    COMPLETED_VERB: {"id-ID": "menyelesaikan", "en-US": "completed"},
    SCORED_VERB: {"id-ID": "dinilai", "en-US": "scored"},
    "http://adlnet.gov/expapi/verbs/passed": {"id-ID": "lulus", "en-US": "passed"},
    VOIDED_VERB: {"id-ID": "membatalkan", "en-US": "voided"},
}
ACTIVITY_TYPES = {
    "classical": "urn:lms-bridge:activitytype:classical-session",
    "workplace": "http://adlnet.gov/expapi/activities/assessment",
}
"""A classical day is credited by the JP policy's classical-session rule; a workplace
assessment earns only the program module's JP (no policy rule names its type)."""
SESSION_HOUR = time(8, 0)
"""Attendance of a day is stamped 08:00 local time: inside the day in every time zone."""
NOTE_LENGTH = 1000
ATTENDANCE_ROLES = frozenset({"instructor"})
ASSESSMENT_ROLES = frozenset({"coach"})


class RecordRefused(ValueError):
    """A record is refused; ``code`` names why for the pages' catalogs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RecordNotFound(RecordRefused):
    """The cohort, participant or record is not one this person sees (pages answer 404)."""

    def __init__(self, message: str) -> None:
        super().__init__("not_found", message)


@dataclass(frozen=True)
class Recorded:
    """What a record stored: one statement per participant, in the order given."""

    statement_ids: list[str]


def recorder_agent(principal: Principal) -> dict[str, Any]:
    """The Agent that stands for a signed-in account (``authority``, ``context.instructor``)."""
    return {
        "objectType": "Agent",
        "name": principal.name,
        "account": {"homePage": USERS_HOME_PAGE, "name": principal.email},
    }


def recorded_on_pages(authority_key: str | None) -> bool:
    """Whether a statement was recorded on the pages (only those may be voided there)."""
    return authority_key is not None and authority_key.startswith(f"account:{USERS_HOME_PAGE} ")


def _pages_client_id() -> int:
    """The pages' client row, created on first use; revoked, so no request can use it."""
    for _ in range(2):
        with unit_of_work() as session:
            found = session.scalar(select(Client.id).where(Client.key == PAGES_CLIENT_KEY))
            if found is not None:
                return found
            try:
                client = Client(
                    name="lms_bridge pages",
                    key=PAGES_CLIENT_KEY,
                    secret_hash=generate_password_hash(secrets.token_urlsafe(32)),
                    scopes=[],
                    authority={},
                    created_at=utcnow(),
                    revoked_at=utcnow(),
                )
                session.add(client)
                session.flush()
                return client.id
            except IntegrityError:
                session.rollback()  # created at the same moment elsewhere: read it again
    raise AssertionError("unreachable")  # pragma: no cover


def _client_for(principal: Principal) -> AuthenticatedClient:
    authority = recorder_agent(principal)
    return AuthenticatedClient(
        id=_pages_client_id(),
        name="lms_bridge pages",
        scopes=frozenset(),
        authority=authority,
        authority_key=agent_key(authority) or "",
    )


def _visible_cohort(session: Session, principal: Principal, cohort_id: int) -> Cohort:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or not principal.sees_cohort(cohort_id):
        raise RecordNotFound(f"angkatan {cohort_id} tidak ada (no such cohort)")
    return cohort


def _module(session: Session, cohort: Cohort, module_code: str, mode: str) -> ProgramModule:
    module = (
        None
        if NUL in module_code
        else session.scalar(
            select(ProgramModule).where(
                ProgramModule.program_id == cohort.program_id,
                ProgramModule.module_code == module_code,
            )
        )
    )
    if module is None or module.mode != mode:
        raise RecordRefused(
            f"not_{mode}",
            f"modul {module_code!r} bukan modul {mode} program ini (not a {mode} module)",
        )
    return module


def _enrollments(
    session: Session, principal: Principal, cohort: Cohort, nips: Sequence[str]
) -> list[Enrollment]:
    wanted = list(dict.fromkeys(nips))
    for nip in wanted:
        if not is_nip_shaped(nip):
            raise RecordNotFound(
                f"NIP {nip!r} bukan peserta yang Anda ikuti (not your participant)"
            )
    found = {
        e.nip: e
        for e in session.scalars(
            select(Enrollment).where(Enrollment.cohort_id == cohort.id, Enrollment.nip.in_(wanted))
        )
    }
    for nip in wanted:
        if nip not in found or not principal.sees_participant(cohort.id, nip):
            raise RecordNotFound(f"NIP {nip} bukan peserta yang Anda ikuti (not your participant)")
    return [found[nip] for nip in wanted]


def _participant(policy: Policy, enrollment: Enrollment) -> dict[str, Any]:
    nip_home_page = sorted(policy.nip_home_pages)[0]
    actor: dict[str, Any] = {
        "objectType": "Agent",
        "account": {"homePage": nip_home_page, "name": enrollment.nip},
    }
    if enrollment.name:
        actor["name"] = enrollment.name
    return actor


def _statement(
    policy: Policy,
    principal: Principal,
    cohort: Cohort,
    module: ProgramModule,
    enrollment: Enrollment,
    *,
    verb: str,
    result: dict[str, Any],
    moment: datetime,
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": _participant(policy, enrollment),
        "verb": {"id": verb, "display": VERB_NAMES[verb]},
        "object": {
            "objectType": "Activity",
            "id": module.activity_id,
            "definition": {"type": ACTIVITY_TYPES[module.mode], "name": {"id-ID": module.title}},
        },
        "result": result,
        "context": {
            "registration": enrollment.registration,
            "instructor": recorder_agent(principal),
            "platform": "lms_bridge",
            "contextActivities": {"parent": [{"objectType": "Activity", "id": cohort.activity_id}]},
        },
        "timestamp": format_timestamp(moment),
    }


def _audited(
    principal: Principal, action: str, statements: list[dict[str, Any]], cohort_id: int
) -> Any:
    """The audit events of a record, written in the record's own transaction."""

    def write(session: Session, _: StoreResult) -> None:
        for statement in statements:
            record_event(
                session,
                actor=principal.email,
                action=action,
                subject_type="statement",
                subject_id=statement["id"],
                after={
                    "cohort_id": cohort_id,
                    "nip": statement["actor"]["account"]["name"],
                    "module": statement["object"]["id"],
                    "verb": statement["verb"]["id"],
                    "result": statement.get("result"),
                },
            )

    return write


def _store(
    principal: Principal, statements: list[dict[str, Any]], action: str, cohort_id: int
) -> Recorded:
    record_statements(
        statements,
        client=_client_for(principal),
        version=VERSION_1,
        in_transaction=_audited(principal, action, statements, cohort_id),
    )
    return Recorded([statement["id"] for statement in statements])


def may_record_attendance(principal: Principal) -> bool:
    """Instructors (and admins) record classical attendance."""
    return principal.is_admin or principal.role in ATTENDANCE_ROLES


def may_record_assessment(principal: Principal) -> bool:
    """Coaches (and admins) record workplace assessments."""
    return principal.is_admin or principal.role in ASSESSMENT_ROLES


def _require_role(principal: Principal, roles: frozenset[str]) -> None:
    if not principal.is_admin and principal.role not in roles:
        raise RecordRefused(
            "role", "peran Anda tidak boleh mencatat ini (your role may not record this)"
        )


def record_attendance(
    policy: Policy,
    principal: Principal,
    *,
    cohort_id: int,
    module_code: str,
    on: date,
    nips: Sequence[str],
) -> Recorded:
    """Who attended a classical session on day ``on``: one ``attended`` statement each."""
    _require_role(principal, ATTENDANCE_ROLES)
    if not nips:
        raise RecordRefused("no_participants", "pilih peserta yang hadir (choose who attended)")
    zone = policy.time_zone
    with unit_of_work(writes=False) as session:
        cohort = _visible_cohort(session, principal, cohort_id)
        module = _module(session, cohort, module_code, "classical")
        today = utcnow().astimezone(zone).date()
        if not cohort.starts_on <= on <= min(cohort.ends_on, today):
            raise RecordRefused(
                "date_outside",
                f"tanggal {on} di luar masa angkatan atau di masa depan "
                "(the date is outside the cohort's dates or in the future)",
            )
        enrollments = _enrollments(session, principal, cohort, nips)
        verb = ATTENDED_VERB if ATTENDED_VERB in module.verbs else COMPLETED_VERB
        moment = datetime.combine(on, SESSION_HOUR, zone).astimezone(UTC)
        statements = [
            _statement(
                policy,
                principal,
                cohort,
                module,
                e,
                verb=verb,
                result={"completion": True},
                moment=moment,
            )
            for e in enrollments
        ]
    return _store(principal, statements, "record.attendance", cohort_id)


def parse_score(text: str) -> Decimal | None:
    """A score typed on a form (comma or point decimals), or None when left empty."""
    cleaned = text.strip().replace(",", ".")
    if not cleaned:
        return None
    try:
        score = Decimal(cleaned)
    except InvalidOperation as error:
        raise RecordRefused(
            "score_range", "nilai harus angka 0-100 (a score is 0 to 100)"
        ) from error
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100):
        raise RecordRefused("score_range", "nilai harus angka 0-100 (a score is 0 to 100)")
    return score.quantize(Decimal("0.01"))


def record_assessment(
    policy: Policy,
    principal: Principal,
    *,
    cohort_id: int,
    nip: str,
    module_code: str,
    score: Decimal | None,
    completed: bool,
    note: str = "",
) -> Recorded:
    """A coach's workplace assessment: ``completed`` (the module's rule) or ``scored``."""
    _require_role(principal, ASSESSMENT_ROLES)
    note = note.strip()
    if NUL in note:
        raise RecordRefused("note_invalid", "catatan memuat karakter NUL (the note holds a NUL)")
    if len(note) > NOTE_LENGTH:
        raise RecordRefused(
            "note_length", f"catatan maksimal {NOTE_LENGTH} karakter (note too long)"
        )
    if not completed and score is None:
        raise RecordRefused(
            "nothing_to_record",
            "beri nilai atau tandai selesai (give a score or mark it completed)",
        )
    with unit_of_work(writes=False) as session:
        cohort = _visible_cohort(session, principal, cohort_id)
        module = _module(session, cohort, module_code, "workplace")
        (enrollment,) = _enrollments(session, principal, cohort, [nip])
        result: dict[str, Any] = {"completion": completed}
        if score is not None:
            result["score"] = {
                "raw": float(score),
                "min": 0,
                "max": 100,
                "scaled": float(score / 100),
            }
            if completed and module.min_score is not None:
                result["success"] = score >= module.min_score
        if note:
            result["response"] = note
        verb = SCORED_VERB
        if completed:
            verb = COMPLETED_VERB if COMPLETED_VERB in module.verbs else sorted(module.verbs)[0]
            if verb not in VERB_NAMES:
                verb = COMPLETED_VERB
        statement = _statement(
            policy,
            principal,
            cohort,
            module,
            enrollment,
            verb=verb,
            result=result,
            moment=utcnow(),
        )
    return _store(principal, [statement], "record.assessment", cohort_id)


def void_record(
    principal: Principal, *, cohort_id: int, nip: str, statement_id: str, reason: str = ""
) -> None:
    """Void a record made on the pages; the module's progress and JP go back."""
    try:
        statement_id = str(uuid.UUID(statement_id))
    except ValueError as error:
        raise RecordNotFound(f"catatan {statement_id!r} tidak ada (no such record)") from error
    if NUL in reason:
        raise RecordRefused("note_invalid", "alasan memuat karakter NUL (the reason holds a NUL)")
    with unit_of_work(writes=False) as session:
        cohort = _visible_cohort(session, principal, cohort_id)
        (enrollment,) = _enrollments(session, principal, cohort, [nip])
        row = session.execute(
            select(ProgressEvidence.voided, Statement.authority_key)
            .join(Statement, Statement.pk == ProgressEvidence.statement_pk)
            .where(
                ProgressEvidence.enrollment_id == enrollment.id,
                ProgressEvidence.statement_id == statement_id,
            )
            .limit(1)
        ).first()
        if row is None:
            raise RecordNotFound(f"catatan {statement_id} tidak ada (no such record)")
        if not recorded_on_pages(row.authority_key):
            raise RecordRefused(
                "not_voidable",
                "hanya catatan dari halaman ini yang dapat dibatalkan di sini "
                "(only records made on these pages can be voided here)",
            )
        if row.voided:
            raise RecordRefused("already_voided", "catatan sudah dibatalkan (already voided)")
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": recorder_agent(principal),
        "verb": {"id": VOIDED_VERB, "display": VERB_NAMES[VOIDED_VERB]},
        "object": {"objectType": "StatementRef", "id": statement_id},
    }

    def audit(session: Session, _: StoreResult) -> None:
        record_event(
            session,
            actor=principal.email,
            action="record.void",
            subject_type="statement",
            subject_id=statement_id,
            after={"voided_by": voiding["id"], "cohort_id": cohort_id, "nip": nip},
            reason=reason.strip() or None,
        )

    record_statements(
        [voiding], client=_client_for(principal), version=VERSION_1, in_transaction=audit
    )
