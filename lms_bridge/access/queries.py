"""What authentication asks on every request, sent straight to the driver (lms_bridge.sql)."""

from __future__ import annotations

from lms_bridge.sql.driver import DriverQuery

CLIENT_BY_KEY = DriverQuery(
    postgresql=(
        "SELECT id, name, secret_hash, scopes, authority FROM clients "
        "WHERE key = %(key)s AND revoked_at IS NULL"
    ),
    sqlite=(
        "SELECT id, name, secret_hash, scopes, authority FROM clients "
        "WHERE key = :key AND revoked_at IS NULL"
    ),
    json_columns=(3, 4),
)
"""Every xAPI request runs this: it goes straight to the driver (lms_bridge.sql.driver)."""
