"""Everything below the ORM, in one place: the only code that touches the DB-API connection.

- :mod:`~lms_bridge.sql.driver`: SQL sent straight to the driver on the session's own
  connection and transaction (the hot path's reads, the one-statement insert), with
  SQLAlchemy's execution events, so tests count and log these queries like any other.
- :mod:`~lms_bridge.sql.bulk`: COPY and multi-row inserts, identity values reserved ahead.
- :mod:`~lms_bridge.sql.locks`: advisory locks (people's keys, the ledger, statement writes).
- :mod:`~lms_bridge.sql.read_along`: reads carried by an insert's round trip, by name.
- :mod:`~lms_bridge.sql.keys`: index keys short enough for a B-tree.
- :mod:`~lms_bridge.sql.chunks`: bounded ``IN (…)`` lists.

The SQL text itself stays with its area, in that area's ``queries`` module (``lrs/queries``,
``credit/queries``, ...): this package knows how to send SQL, not what any table means.
"""
