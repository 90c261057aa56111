"""Program modules by activity: what every statement POST asks (lms_bridge.sql.driver).

One read, in three transports: a batch's activities (:data:`MODULES_OF_ACTIVITIES`), every
module (:data:`EVERY_MODULE`, for a recompute's nominal JP), and the same columns as one JSON
value carried by a single statement's insert (:data:`MODULES_ALONG`). The oldest program
comes first, so where programs share an activity the newest one's nominal JP is the last
word.
"""

from __future__ import annotations

from lms_bridge.models.credit import JP_SCALE
from lms_bridge.sql.driver import DriverQuery, decimal_of_scale

MODULE_COLUMNS = "id, program_id, activity_key, nominal_jp"

MODULES_OF_ACTIVITIES = DriverQuery(
    postgresql=(
        f"SELECT {MODULE_COLUMNS} FROM program_modules "  # noqa: S608  (constant text)
        "WHERE activity_key = ANY(%(keys)s) ORDER BY program_id, id"
    ),
    # SQLite: CROSS JOIN keeps the keys as the outer loop, so each probes the activity index.
    sqlite=(
        "SELECT m.id, m.program_id, m.activity_key, m.nominal_jp FROM json_each(:keys) AS wanted "
        "CROSS JOIN program_modules AS m ON m.activity_key = wanted.value "
        "ORDER BY m.program_id, m.id"
    ),
    decoders=((3, decimal_of_scale(JP_SCALE)),),
)

EVERY_MODULE = DriverQuery(
    postgresql=f"SELECT {MODULE_COLUMNS} FROM program_modules ORDER BY program_id, id",  # noqa: S608
    sqlite=f"SELECT {MODULE_COLUMNS} FROM program_modules ORDER BY program_id, id",  # noqa: S608
    decoders=((3, decimal_of_scale(JP_SCALE)),),
)

MODULES_ALONG = (
    "(SELECT COALESCE(json_agg(json_build_array(id, program_id, activity_key, "
    "CAST(nominal_jp AS text)) ORDER BY program_id, id), '[]') FROM program_modules "
    "WHERE activity_key = ANY(CAST(%s AS text[])))"
)
