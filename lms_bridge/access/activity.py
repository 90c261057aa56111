"""When each client was last seen: at most one write a minute per client and process.

Every authenticated request calls :func:`note_request`; it costs a dictionary look-up
unless this process has not written the client's time for :data:`TOUCH_SECONDS`. The write
runs on a connection of its own in its own short transaction, never in the request's, and
a failed write (a lock held too long, two processes inserting at once) is dropped: it only
makes "last seen" up to a minute older.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import insert, update
from sqlalchemy.exc import SQLAlchemyError

from lms_bridge.db import db, utcnow
from lms_bridge.models import ClientActivity

TOUCH_SECONDS = 60.0
_touched: dict[int, float] = {}
_touched_lock = threading.Lock()


def note_request(client_id: int) -> None:
    """Record that ``client_id`` made a request now (at most once a minute)."""
    now = time.monotonic()
    with _touched_lock:
        last = _touched.get(client_id)
        if last is not None and now - last < TOUCH_SECONDS:
            return
        _touched[client_id] = now
    seen = utcnow()
    try:
        with db.engine.begin() as connection:
            changed = connection.execute(
                update(ClientActivity)
                .where(ClientActivity.client_id == client_id)
                .values(last_seen_at=seen)
            ).rowcount
            if not changed:
                connection.execute(
                    insert(ClientActivity).values(client_id=client_id, last_seen_at=seen)
                )
    except SQLAlchemyError:
        return


def forget_touches() -> None:
    """Write the next request of every client again (tests start from empty tables)."""
    with _touched_lock:
        _touched.clear()
