"""filter indexes on 8-byte hashes of their keys; activity index rows carry a digest

At a million Moodle statements (bench scenario ``million``) the statements table was 2.56 kB
a statement, 883 B of it indexes, and the activity index rows another 926 B: the filter
indexes (actor, verb, object activity, registration, authority, object agent) and the
rows of statement_activities each held the key as text, 40-70 bytes where 8 do.

- PostgreSQL: those six indexes of statements become indexes on ``hashtextextended(key,
  0)`` (see ``lms_bridge.db.key_hash``; queries compare hash and key), each with extended
  statistics saying that the hash depends on the key. SQLite keeps them as they are
  (key_hash is the column there).
- Both: statement_activities (activity_key, statement_pk) becomes (activity_digest,
  statement_pk), the digest being the first 8 bytes of SHA-256 of the key
  (``lms_bridge.sql.keys.key_digest``); existing rows are converted (PostgreSQL in SQL,
  SQLite in Python).

A query on one of these columns that compares the key alone finds no index on PostgreSQL
any more: ingestion's question for voiding statements (``verb_key``) compares the hash too,
and ``credit recompute`` walks the actors in the order of the hashed index. A recompute that
stopped before this migration should be started again (``--restart``): it would resume in
the new order.

The downgrade rebuilds the text keys from the statements themselves.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

import hashlib
from collections.abc import Sequence

import orjson
import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HASHED = (
    ("ix_statements_actor_key_stored", "actor_key", None),
    ("ix_statements_verb_key_stored", "verb_key", None),
    ("ix_statements_object_activity_key_stored", "object_activity_key", None),
    ("ix_statements_registration_stored", "registration", None),
    ("ix_statements_authority_key_stored", "authority_key", None),
    ("ix_statements_object_agent_key_stored", "object_agent_key", "object_agent_key IS NOT NULL"),
)
DIGEST_SQL = "('x' || left(encode(sha256(convert_to({}, 'UTF8')), 'hex'), 16))::bit(64)::bigint"
KEY_LENGTH = 300
CHUNK = 5000


def _digest(key: str) -> int:
    """lms_bridge.sql.keys.key_digest, as of this revision."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _index(name: str, first: str, where: str | None) -> None:
    clause = f" WHERE {where}" if where else ""
    op.execute(f"DROP INDEX {name}")
    op.execute(f"CREATE INDEX {name} ON statements ({first}, stored, pk){clause}")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        for name, column, where in HASHED:
            _index(name, f"hashtextextended({column}, 0)", where)
            # A query asks for hash and key (lms_bridge.sql.keys.matches_key); taken as
            # independent, the two made the planner expect a handful of rows, read all of an
            # activity's statements and sort them instead of the first page off the index.
            op.execute(
                f"CREATE STATISTICS st_statements_{column} (dependencies) "
                f"ON {column}, (hashtextextended({column}, 0)) FROM statements"
            )
    # PostgreSQL builds the primary key after the copy (one sorted build, not an insert per
    # row); SQLite cannot add one to an existing table.
    key = [] if postgresql else [_primary_key("activity_digest")]
    op.create_table(
        "statement_activities_new",
        sa.Column("activity_digest", sa.BigInteger(), nullable=False),
        sa.Column("statement_pk", sa.BigInteger(), nullable=False),
        *key,
    )
    if postgresql:
        digest = DIGEST_SQL.format("activity_key")
        op.execute(
            "INSERT INTO statement_activities_new (activity_digest, statement_pk) "  # noqa: S608
            f"SELECT {digest}, statement_pk FROM statement_activities"
        )
    else:
        _digest_rows_in_python()
    op.drop_table("statement_activities")
    op.rename_table("statement_activities_new", "statement_activities")
    if postgresql:
        op.create_primary_key(
            "pk_statement_activities", "statement_activities", ["activity_digest", "statement_pk"]
        )
        # The new indexes and statistics are empty until the table is analysed.
        op.execute("ANALYZE statements")
        op.execute("ANALYZE statement_activities")


def _primary_key(first: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(first, "statement_pk", name="pk_statement_activities")


def _digest_rows_in_python() -> None:
    """SQLite has no SHA-256: the rows are read and written back a chunk at a time."""
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT rowid, activity_key, statement_pk FROM statement_activities "
                "WHERE rowid > :after ORDER BY rowid LIMIT :chunk"
            ),
            {"after": after, "chunk": CHUNK},
        ).all()
        if not rows:
            return
        connection.execute(
            sa.text(
                "INSERT INTO statement_activities_new (activity_digest, statement_pk) "
                "VALUES (:digest, :pk)"
            ),
            [{"digest": _digest(key), "pk": pk} for _, key, pk in rows],
        )
        after = rows[-1][0]


def _index_key(value: str) -> str:
    """lms_bridge.sql.keys.index_key, as of this revision."""
    if len(value) <= KEY_LENGTH:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def downgrade() -> None:
    """The text keys again, from each statement's payload (the digests cannot be undone)."""
    from xapi.identifiers import index_statement  # noqa: PLC0415 (the spec's own indexing)

    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_table("statement_activities")
    op.create_table(
        "statement_activities",
        sa.Column("activity_key", sa.String(length=310), nullable=False),
        sa.Column("statement_pk", sa.BigInteger(), nullable=False),
        _primary_key("activity_key"),
    )
    connection = op.get_bind()
    after = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT pk, payload FROM statements WHERE pk > :after ORDER BY pk LIMIT :n"),
            {"after": after, "n": CHUNK},
        ).all()
        if not rows:
            break
        keyed = [
            {"key": key, "pk": pk}
            for pk, payload in rows
            for key in {
                _index_key(activity)
                for activity in index_statement(orjson.loads(payload)).related_activity_ids
            }
        ]
        if keyed:
            connection.execute(
                sa.text(
                    "INSERT INTO statement_activities (activity_key, statement_pk) "
                    "VALUES (:key, :pk)"
                ),
                keyed,
            )
        after = rows[-1][0]
    if postgresql:
        for name, column, where in HASHED:
            op.execute(f"DROP STATISTICS st_statements_{column}")
            _index(name, column, where)
