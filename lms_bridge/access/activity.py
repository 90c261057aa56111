"""When each client was last seen: at most one write a minute per client and process.

Every authenticated request calls :func:`pending_touch`; it costs a dictionary look-up
unless this process has not written the client's time for :data:`TOUCH_SECONDS`, and then
returns the write to run once the request is over. The HTTP layer runs it after the
response is sent and the request's session has given its connection back: a request never
holds two connections (behind a transaction pooler with few server connections, requests
each holding one while waiting for a second would wait for each other), and on SQLite no
other connection writes while the request's transaction is open. The write is its own
short transaction; a failed one (a lock held too long, two processes inserting at once) is
dropped: it only makes "last seen" up to a minute older.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, insert, update
from sqlalchemy.exc import SQLAlchemyError

from lms_bridge.db import db, utcnow
from lms_bridge.models import ClientActivity

TOUCH_SECONDS = 60.0
_touched: dict[int, float] = {}
_touched_lock = threading.Lock()


def pending_touch(client_id: int) -> Callable[[], None] | None:
    """The write recording that ``client_id`` made a request now, or None when this process
    wrote it less than a minute ago. The write needs no app context (it keeps the engine)."""
    now = time.monotonic()
    with _touched_lock:
        last = _touched.get(client_id)
        if last is not None and now - last < TOUCH_SECONDS:
            return None
        _touched[client_id] = now
    engine = db.engine
    seen = utcnow()
    return lambda: _write_touch(engine, client_id, seen)


def _write_touch(engine: Engine, client_id: int, seen: datetime) -> None:
    try:
        with engine.begin() as connection:
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
