"""Log lines as JSON, each carrying the id of the request it belongs to.

One JSON object per line is what log shippers (journald → Loki, Fluent Bit, Vector) parse
without a pattern per format; the request id ties the access log line of a request to every
line the app wrote while serving it, across nginx, gunicorn and the app. The id is kept in a
context variable (set by the HTTP layer when a request starts), so services log as usual.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

REQUEST_ID: ContextVar[str | None] = ContextVar("lms_bridge_request_id", default=None)
"""The id of the request being served by this thread, None outside a request."""

SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+=/-]{0,127}")
"""What a proxy's or client's X-Request-ID may be to be kept: a short token (nginx's
$request_id is 32 hex digits, a UUID has dashes); anything else could forge log lines."""

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"

_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a sane token, else a fresh one (32 hex digits)."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request id, and any
    ``extra=`` fields (gunicorn's access log passes its fields that way)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and name not in line:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: str, log_format: str) -> None:
    """The root logger at ``level``, writing to stderr in ``log_format`` (json or text).

    Like ``logging.basicConfig``, it adds a handler only where the root logger has none
    (under pytest, its capture handlers stay the only ones)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter_for(log_format))
        root.addHandler(handler)


def formatter_for(log_format: str) -> logging.Formatter:
    """The formatter of a LMS_BRIDGE_LOG_FORMAT value."""
    return JsonLineFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
