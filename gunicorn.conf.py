"""gunicorn settings; every value can be overridden by the environment or the command line.

Validation is CPU-bound Python, so throughput comes from processes, one per core; threads
cover the time a request waits on the database and keep HTTP connections alive. Four
threads, so that a worker which happens to accept several keep-alive connections serves
them all at once instead of queueing one behind another. On the 2-core machine one worker
per core stored 3,026-3,813 statements/s batched against 2,716-3,123/s for the two per
core used before, in runs alternated minutes apart (docs/performance.md).
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("LMS_BRIDGE_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("LMS_BRIDGE_THREADS", "4"))
keepalive = 5
# Workers touch a heartbeat file on every request; on tmpfs that costs no disk I/O (gunicorn
# recommends it wherever /tmp is on a disk or an overlay filesystem).
SHARED_MEMORY = "/dev/shm"  # noqa: S108  (gunicorn makes its files there with mkstemp)
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
timeout = 60
accesslog = os.environ.get("LMS_BRIDGE_ACCESS_LOG") or None
errorlog = "-"

# No Server header: gunicorn names itself on every response and offers no setting to stop it,
# and what software answers is nothing a client needs (nor anyone probing for a known flaw).
# The config file runs in the master before workers fork, so every worker inherits this.
from gunicorn.http import wsgi as gunicorn_wsgi  # noqa: E402


def _without_server(default_headers):  # type: ignore[no-untyped-def]
    def headers(self):  # type: ignore[no-untyped-def]
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    return headers


gunicorn_wsgi.Response.default_headers = _without_server(gunicorn_wsgi.Response.default_headers)
