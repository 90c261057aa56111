"""gunicorn's own log lines (access and errors) as JSON, like the app's.

gunicorn's ``access_log_format`` pastes values into a template unescaped, so a request line
carrying a quote would break a JSON template; this logger class builds each line as an
object instead (``logger_class`` in gunicorn.conf.py). The request id is the one the app put
on the response (``X-Request-ID``), so the access line and the app's lines of a request share it.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from gunicorn import glogging  # type: ignore[import-untyped]

from lms_bridge.observability.logs import formatter_for


class JsonAccessLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger with JSON lines (or plain ones when LMS_BRIDGE_LOG_FORMAT=text)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        formatter = formatter_for(os.environ.get("LMS_BRIDGE_LOG_FORMAT", "json"))
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        response_headers = {name.lower(): value for name, value in resp.headers}
        fields = {
            "remote_addr": environ.get("REMOTE_ADDR", "-"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": response_headers.get("x-request-id"),
        }
        self.access_log.log(
            logging.INFO, "%s %s %s", fields["method"], fields["path"], status, extra=fields
        )
