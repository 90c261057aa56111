"""The LRS's SQL on the write path, in each dialect's own text (lms_bridge.sql.driver)."""

from __future__ import annotations

from lms_bridge.sql.driver import DriverQuery

KNOWN_IDS = DriverQuery(
    postgresql=(
        "SELECT statement_id, payload, false FROM statements "
        "WHERE statement_id = ANY(%(ids)s) "
        "UNION ALL SELECT target_statement_id, '', true FROM statements "
        "WHERE target_statement_id = ANY(%(ids)s) AND verb_key = %(voided)s "
        "AND hashtextextended(verb_key, 0) = hashtextextended(%(voided)s, 0)"
    ),
    # SQLite: CROSS JOIN keeps the ids as the outer loop, so each probes the unique index and
    # the partial index of targets (an IN subquery lets the planner pick the verb index).
    sqlite=(
        "SELECT s.statement_id, s.payload, 0 FROM json_each(:ids) AS wanted "
        "CROSS JOIN statements AS s WHERE s.statement_id = wanted.value "
        "UNION ALL SELECT s.target_statement_id, '', 1 FROM json_each(:ids) AS wanted "
        "CROSS JOIN statements AS s WHERE s.target_statement_id = wanted.value "
        "AND s.target_statement_id IS NOT NULL AND s.verb_key = :voided"
    ),
)
"""Which ids are stored (with their payload), and which a stored voiding statement targets."""


STATEMENT_COLUMNS = (
    "pk",
    "statement_id",
    "stored",
    "timestamp",
    "version",
    "actor_key",
    "verb_key",
    "object_type",
    "object_activity_key",
    "object_agent_key",
    "target_statement_id",
    "registration",
    "authority_key",
    "client_id",
    "voided",
    "payload",
)


INSERT_UNLESS_STORED = (
    "WITH stored AS (INSERT INTO statements (statement_id, stored, timestamp, version, "
    "actor_key, verb_key, object_type, object_activity_key, object_agent_key, "
    "target_statement_id, registration, authority_key, client_id, voided, payload) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "lms_bridge_voided_once_locked(%s, %s, %s, %s), %s "
    "ON CONFLICT (statement_id) DO NOTHING RETURNING pk, voided), "
    "agents AS (INSERT INTO statement_agents (statement_pk, agent_key) "
    "SELECT pk, unnest(CAST(%s AS text[])) FROM stored), "
    "activities AS (INSERT INTO statement_activities (statement_pk, activity_digest) "
    "SELECT pk, unnest(CAST(%s AS bigint[])) FROM stored) "
    "SELECT pk, voided{carried} FROM stored"
)
"""PostgreSQL: one statement, stored already voided if its voiding statement came first,
with its index rows and the reads the caller asked to carry (``{carried}``, see
lms_bridge.sql.read_along), in one round trip; no row when the id is taken. Whether it is
voided is asked of a function (migration 0011) that first shares the statement-writes
lock, then looks with a snapshot taken after it: a void committed while the insert waited
is seen, one that starts later waits for this commit."""
