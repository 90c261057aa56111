"""Identity's SQL on the hot path: actor mappings of a batch (lms_bridge.sql.driver)."""

from __future__ import annotations

from lms_bridge.sql.driver import DriverQuery

MAPPED_ACTORS = DriverQuery(
    postgresql="SELECT actor_key, nip FROM actor_mappings WHERE actor_key = ANY(%(keys)s)",
    sqlite=(
        "SELECT m.actor_key, m.nip FROM json_each(:keys) AS wanted "
        "CROSS JOIN actor_mappings AS m WHERE m.actor_key = wanted.value"
    ),
)
"""Mapped actors among these keys: every credited statement asks."""

MAPPED_ACTORS_ALONG = (
    "(SELECT COALESCE(json_agg(json_build_array(actor_key, nip)), '[]') FROM actor_mappings "
    "WHERE actor_key = ANY(CAST(%s AS text[])))"
)
""":data:`MAPPED_ACTORS` as one value, to ride on a single statement's insert (ReadAlong)."""
