"""What the JSON API reads and writes, as marshmallow schemas (they also make the OpenAPI document).

JP are JSON numbers with at most two decimals (the ledger keeps fractions; SIASN exports round
per record). Response schemas dump the plain dataclasses the services return; request schemas
only check shape and type, the services check meaning (a NIP's checksum, an e-mail owner).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from lms_bridge.credit.decisions import BULK_LIMIT, REASON_LENGTH
from lms_bridge.db import BIGINT_MAX
from lms_bridge.models.credit import ENTRY_STATUSES, JP_MAX

YEAR = validate.Range(min=1970, max=2999)
PAGE = validate.Range(min=1, max=1000)


class StorableInteger(fields.Integer):
    """An integer a query can carry: at most 64 bits, and never negative unless asked.

    Every integer field of a request is one, so a value beyond ``bigint`` is a 400 naming
    the field instead of a failed query; a narrower ``validate`` range still applies.
    """

    def __init__(self, *, minimum: int = 0, **kwargs: Any) -> None:
        given = kwargs.pop("validate", None)
        validators = [validate.Range(min=minimum, max=BIGINT_MAX)]
        if given is not None:
            validators.append(given)
        super().__init__(validate=validators, **kwargs)


def _jp(description: str, **kwargs: Any) -> fields.Float:
    return fields.Float(metadata={"description": description}, **kwargs)


# --- errors --------------------------------------------------------------------------------


class ErrorSchema(Schema):
    """Every error: what went wrong (a name) and a sentence about it."""

    error = fields.String(required=True, metadata={"example": "NotFound"})
    detail = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "ValidationError only: the reasons per field path"},
    )
    problems = fields.List(
        fields.Dict(),
        metadata={"description": "CSV imports only: every (line, column, reason) found"},
    )


# --- queries and bodies ----------------------------------------------------------------------


class YearQuery(Schema):
    year = StorableInteger(
        validate=YEAR,
        metadata={"description": "Tahun kegiatan (default: this year in the policy's zone)"},
    )


class PendingQuery(Schema):
    agency = fields.String(validate=validate.Length(min=1, max=200))
    year = StorableInteger(validate=YEAR, metadata={"description": "Every year when absent"})
    limit = StorableInteger(load_default=100, validate=PAGE)
    after = StorableInteger(metadata={"description": "The last entry id of the previous page"})


class PeopleQuery(Schema):
    agency = fields.String(validate=validate.Length(min=1, max=200))
    after = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "The last NIP of the previous page"},
    )
    limit = StorableInteger(load_default=100, validate=PAGE)


class VerifyBody(Schema):
    reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=REASON_LENGTH)
    )


class RejectBody(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_LENGTH))


class BulkVerifyBody(Schema):
    ids = fields.List(
        StorableInteger(minimum=1),
        required=True,
        validate=validate.Length(min=1, max=BULK_LIMIT),
        metadata={"description": "Entries to verify together: all of them or none"},
    )


class CorrectBody(Schema):
    jp = fields.Decimal(
        required=True,
        places=2,
        validate=validate.Range(min=0, max=JP_MAX),
        # The document states the bounds as numbers; apispec would quote the Decimal ones.
        metadata={
            "description": "The JP the entry is worth (capped per day as usual)",
            "minimum": 0,
            "maximum": float(JP_MAX),
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=REASON_LENGTH))


class PersonBody(Schema):
    """A person's record; the NIP is the path. The service checks each value's meaning."""

    name = fields.String(required=True)
    agency = fields.String(required=True)
    unit = fields.String(required=True)
    employment = fields.String(
        required=True, metadata={"description": "PNS, CPNS or PPPK", "example": "PNS"}
    )
    position = fields.String(load_default=None, allow_none=True)
    email = fields.String(load_default=None, allow_none=True)


# --- credit ----------------------------------------------------------------------------------


class EntrySchema(Schema):
    id = fields.Integer()
    activity_id = fields.String()
    rule_id = fields.String()
    policy_version = fields.String()
    form = fields.String()
    path = fields.String(metadata={"enum": ["klasikal", "nonklasikal"]})
    jp = _jp("JP that count: after caps and corrections; 0 unless pending or verified")
    jp_raw = _jp("JP the rule gave, before caps and corrections")
    jp_corrected = _jp("An auditor's correction, if any", allow_none=True)
    status = fields.String(metadata={"enum": list(ENTRY_STATUSES)})
    date = fields.Date(metadata={"description": "Day of the activity in the policy's zone"})
    statement_ids = fields.List(fields.String(), metadata={"description": "The evidence"})
    explanation = fields.String()
    decided_by = fields.String(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class EntryEvidenceSchema(Schema):
    entry = fields.Nested(EntrySchema)
    statements = fields.List(
        fields.Dict(),
        metadata={"description": "The evidence statements as stored (format=exact)"},
    )


class BulkDecisionSchema(Schema):
    entries = fields.List(fields.Nested(EntrySchema))


class PendingEntrySchema(EntrySchema):
    nip = fields.String()
    name = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)


class PendingPageSchema(Schema):
    entries = fields.List(fields.Nested(PendingEntrySchema))
    next_after = fields.Integer(
        allow_none=True, metadata={"description": "Pass as `after` for the next page"}
    )


class PathJpSchema(Schema):
    klasikal = fields.Float()
    nonklasikal = fields.Float()


class PersonCreditSchema(Schema):
    nip = fields.String()
    name = fields.String(allow_none=True)
    agency = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    employment = fields.String(allow_none=True)
    year = fields.Integer()
    target_jp = _jp("The policy's yearly target (PP 11/2017 art. 203(4): 20 JP)")
    total_jp = _jp("Pending + verified JP")
    verified_jp = fields.Float()
    pending_jp = fields.Float()
    progress = fields.Float(metadata={"description": "total / target, at most 1"})
    reached_target = fields.Boolean()
    by_path = fields.Nested(PathJpSchema)
    by_form = fields.Dict(keys=fields.String(), values=fields.Float())
    entries = fields.List(fields.Nested(EntrySchema))
    pppk_ceiling_jp = _jp(
        "PPPK staff only: the policy's ceiling (PP 49/2018 art. 40)", allow_none=True
    )
    pppk_ceiling_exceeded = fields.Boolean()


class AgencySummarySchema(Schema):
    agency = fields.String()
    year = fields.Integer()
    target_jp = fields.Float()
    staff = fields.Integer(metadata={"description": "People of this agency in the directory"})
    reached_target = fields.Integer(metadata={"description": "Staff whose JP reach the target"})
    reached_target_share = fields.Float(metadata={"description": "reached_target / staff"})
    total_jp = fields.Float()
    jp_by_form = fields.Dict(keys=fields.String(), values=fields.Float())
    jp_by_path = fields.Nested(PathJpSchema)
    pending_entries = fields.Integer()


# --- people ----------------------------------------------------------------------------------


class PersonSchema(Schema):
    nip = fields.String()
    name = fields.String()
    agency = fields.String()
    unit = fields.String()
    position = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    employment = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PeoplePageSchema(Schema):
    people = fields.List(fields.Nested(PersonSchema))
    next_after = fields.String(
        allow_none=True, metadata={"description": "Pass as `after` for the next page"}
    )


class ImportResultSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class PeopleImportResultSchema(ImportResultSchema):
    credit_groups_changed = fields.Integer(
        metadata={"description": "Credit groups moved because e-mail actors now match"}
    )


class IdentityImportResultSchema(ImportResultSchema):
    rematched_identities = fields.Integer(
        metadata={"description": "LMS identities whose statements were credited again"}
    )
    credit_groups_changed = fields.Integer()


# --- programs --------------------------------------------------------------------------------


class CohortInfoSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    year = fields.Integer()
    number = fields.Integer()
    starts_on = fields.String(metadata={"format": "date"})
    ends_on = fields.String(metadata={"format": "date"})
    organiser = fields.String()
    activity_id = fields.String(metadata={"description": "The cohort's xAPI activity IRI"})


class CertificateSchema(Schema):
    number = fields.String(metadata={"example": "0001/STTPL/PKP/1/2026"})
    verification_code = fields.String(
        attribute="public_code",
        metadata={"description": "The code of the public page /verifikasi/{code}"},
    )
    nip = fields.String()
    name = fields.String()
    program_code = fields.String(metadata={"example": "pkp"})
    program_name = fields.String()
    cohort_name = fields.String()
    cohort_year = fields.Integer()
    cohort_number = fields.Integer()
    organiser = fields.String()
    issued_at = fields.DateTime()
    valid = fields.Boolean(metadata={"description": "False once the certificate is revoked"})
    revoked_at = fields.DateTime(allow_none=True)
    revocation_reason = fields.String(allow_none=True)


class CohortCertificatesSchema(Schema):
    cohort_id = fields.Integer()
    certificates = fields.List(fields.Nested(CertificateSchema))


class ProgramInfoSchema(Schema):
    code = fields.String(metadata={"example": "latsar-cpns"})
    version = fields.Integer()
    name = fields.String()
    pass_threshold = fields.Float()


class ModuleInfoSchema(Schema):
    id = fields.String(metadata={"description": "The module's code in the program"})
    title = fields.String()
    mode = fields.String(metadata={"description": "Delivery mode, e.g. klasikal"})
    nominal_jp = fields.Float()
    mandatory = fields.Boolean()


class ModuleStateSchema(Schema):
    status = fields.String(metadata={"example": "completed"})
    best_score = fields.Float(allow_none=True)
    jp = fields.Float()


class ModeJpSchema(Schema):
    done = fields.Float()
    required = fields.Float()


class ParticipantRowSchema(Schema):
    nip = fields.String()
    name = fields.String(allow_none=True)
    registration = fields.String(metadata={"description": "The enrollment's xAPI registration"})
    modules = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ModuleStateSchema),
        metadata={"description": "Module code → its state"},
    )
    jp = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ModeJpSchema),
        metadata={"description": "Mode → JP done and required"},
    )
    completed = fields.Boolean()
    passed = fields.Boolean()
    final_score = fields.Float(allow_none=True)


class ProgressFrameSchema(Schema):
    """What every progress answer reads against: the cohort, its program, the modules."""

    cohort = fields.Nested(CohortInfoSchema)
    program = fields.Nested(ProgramInfoSchema)
    modules = fields.List(fields.Nested(ModuleInfoSchema))


class CohortProgressSchema(ProgressFrameSchema):
    """The matrix: every participant by every module of the cohort's program."""

    participants = fields.List(fields.Nested(ParticipantRowSchema))


class ParticipantProgressSchema(ProgressFrameSchema):
    """One row of the matrix."""

    participant = fields.Nested(ParticipantRowSchema)


# --- SIASN exports -----------------------------------------------------------------------------


class ExportQuery(YearQuery):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv", "xlsx"]),
        metadata={"description": "json (default), or a csv / xlsx file of the rows"},
    )


class ExportRecordSchema(Schema):
    id = fields.Integer()
    agency = fields.String()
    year = fields.Integer()
    exported_by = fields.String()
    exported_at = fields.DateTime()
    row_count = fields.Integer()
    new_rows = fields.Integer(metadata={"description": "Rows new or changed since the last"})


class KursusRowSchema(Schema):
    """A SIASN "kursus" row in SIASN's own field names (dates d-m-Y, hours an integer)."""

    entry_id = fields.Integer(metadata={"description": "The credit entry (training record)"})
    nip = fields.String()
    nama = fields.String()
    jenis_diklat_id = fields.Integer(data_key="jenisDiklatId")
    nama_kursus = fields.String(data_key="namaKursus")
    institusi_penyelenggara = fields.String(data_key="institusiPenyelenggara")
    tanggal_kursus = fields.Date("%d-%m-%Y", data_key="tanggalKursus")
    tanggal_selesai_kursus = fields.Date("%d-%m-%Y", data_key="tanggalSelesaiKursus")
    tahun_kursus = fields.Integer(data_key="tahunKursus")
    jumlah_jam = fields.Integer(data_key="jumlahJam")
    nomor_sertipikat = fields.String(data_key="nomorSertipikat", allow_none=True)
    jp = fields.Float(metadata={"description": "The ledger's JP before rounding"})
    change = fields.String(metadata={"enum": ["new", "changed", "exported"]})


class LeftOutSchema(Schema):
    entry_id = fields.Integer()
    nip = fields.String()
    nama = fields.String()
    nama_kursus = fields.String()
    form = fields.String()
    status = fields.String()
    jp = fields.Float()
    reasons = fields.List(
        fields.String(metadata={"enum": ["not_verified", "no_code", "zero_jp", "no_nip"]})
    )


class KursusExportSchema(Schema):
    agency = fields.String()
    year = fields.Integer()
    rounding = fields.String(metadata={"description": "How jumlahJam was rounded, per record"})
    rows = fields.List(fields.Nested(KursusRowSchema))
    left_out = fields.List(fields.Nested(LeftOutSchema))
    new_rows = fields.Integer()
    previous = fields.Nested(ExportRecordSchema, allow_none=True)
    recorded = fields.Nested(ExportRecordSchema, allow_none=True)


class ExportHistorySchema(Schema):
    exports = fields.List(fields.Nested(ExportRecordSchema))
