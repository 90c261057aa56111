"""The credit ledger's SQL on the hot path, in each dialect's own text (lms_bridge.sql.driver)."""

from __future__ import annotations

from datetime import date

from lms_bridge.models.credit import JP_SCALE
from lms_bridge.sql.driver import DriverQuery, decimal_of_scale, utc_datetime

EVIDENCE_OF_GROUPS = DriverQuery(
    postgresql=(
        "SELECT e.subject_key, e.activity_key, e.rule_id, e.statement_id, e.actor_key, "
        "e.activity_id, e.policy_version, e.jp, e.needs_review, e.occurred_at, e.explanation, "
        "e.voided, EXISTS (SELECT 1 FROM credit_entries AS entry "
        "WHERE entry.subject_key = e.subject_key AND entry.activity_key = e.activity_key "
        "AND entry.rule_id = e.rule_id) FROM credit_evidence AS e "
        "WHERE (e.subject_key, e.activity_key, e.rule_id) IN (SELECT * FROM unnest("
        "CAST(%(subjects)s AS text[]), CAST(%(activities)s AS text[]), "
        "CAST(%(rules)s AS text[])))"
    ),
    sqlite=(
        "SELECT e.subject_key, e.activity_key, e.rule_id, e.statement_id, e.actor_key, "
        "e.activity_id, e.policy_version, e.jp, e.needs_review, e.occurred_at, e.explanation, "
        "e.voided, EXISTS (SELECT 1 FROM credit_entries AS entry "
        "WHERE entry.subject_key = e.subject_key AND entry.activity_key = e.activity_key "
        "AND entry.rule_id = e.rule_id) "
        "FROM json_each(:groups) AS wanted CROSS JOIN credit_evidence AS e "
        "WHERE e.subject_key = json_extract(wanted.value, '$[0]') "
        "AND e.activity_key = json_extract(wanted.value, '$[1]') "
        "AND e.rule_id = json_extract(wanted.value, '$[2]')"
    ),
    decoders=(
        (7, decimal_of_scale(JP_SCALE)),
        (8, bool),
        (9, utc_datetime),
        (11, bool),
        (12, bool),
    ),
    plan_each_time=True,
)
"""The evidence of some (subject, activity, rule) groups: every credited statement asks."""


ENTRY_READ_COLUMNS = (  # in StoredEntry's field order
    "entry.subject_key, entry.nip, entry.actor_key, entry.activity_key, entry.activity_id, "
    "entry.rule_id, entry.policy_version, entry.form, entry.path, entry.jp_raw, entry.jp, "
    "entry.occurred_at, entry.local_date, entry.year, entry.status, entry.statement_ids, "
    "entry.explanation, entry.updated_at, entry.id, entry.jp_corrected, entry.decided_by"
)
ENTRY_DECODERS = (
    (9, decimal_of_scale(JP_SCALE)),
    (10, decimal_of_scale(JP_SCALE)),
    (11, utc_datetime),
    (12, lambda value: value if isinstance(value, date) else date.fromisoformat(value)),
    (17, utc_datetime),
    (19, decimal_of_scale(JP_SCALE)),
)

ENTRIES_OF_GROUPS = DriverQuery(
    postgresql=(
        "SELECT " + ENTRY_READ_COLUMNS + " FROM credit_entries AS entry "  # noqa: S608  (constant text)
        "WHERE (entry.subject_key, entry.activity_key, entry.rule_id) IN (SELECT * FROM "
        "unnest(CAST(%(subjects)s AS text[]), CAST(%(activities)s AS text[]), "
        "CAST(%(rules)s AS text[])))"
    ),
    sqlite=(
        "SELECT " + ENTRY_READ_COLUMNS + " FROM json_each(:groups) AS wanted "  # noqa: S608
        "CROSS JOIN credit_entries AS entry "
        "WHERE entry.subject_key = json_extract(wanted.value, '$[0]') "
        "AND entry.activity_key = json_extract(wanted.value, '$[1]') "
        "AND entry.rule_id = json_extract(wanted.value, '$[2]')"
    ),
    json_columns=(15,),
    decoders=ENTRY_DECODERS,
    plan_each_time=True,
)

ENTRIES_OF_DAYS = DriverQuery(
    postgresql=(
        "SELECT " + ENTRY_READ_COLUMNS + " FROM credit_entries AS entry "  # noqa: S608
        "WHERE (entry.nip, entry.local_date) IN (SELECT * FROM "
        "unnest(CAST(%(nips)s AS text[]), CAST(%(dates)s AS date[])))"
    ),
    sqlite=(
        "SELECT " + ENTRY_READ_COLUMNS + " FROM json_each(:days) AS wanted "  # noqa: S608
        "CROSS JOIN credit_entries AS entry "
        "WHERE entry.nip = json_extract(wanted.value, '$[0]') "
        "AND entry.local_date = json_extract(wanted.value, '$[1]')"
    ),
    json_columns=(15,),
    decoders=ENTRY_DECODERS,
    plan_each_time=True,
)
