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
import shutil
import tempfile

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
# Access and error lines as JSON objects with the request's id (LMS_BRIDGE_LOG_FORMAT=text
# for plain lines).
logger_class = "lms_bridge.observability.access_log.JsonAccessLogger"

# gunicorn 23+ opens a control socket, by default ~/.gunicorn/gunicorn.ctl: two instances on
# one host would fight over it. Each instance names its own, or has none (the default here:
# nothing in lms_bridge's operation uses it; reload and stop go through signals).
_control_socket = os.environ.get("LMS_BRIDGE_CONTROL_SOCKET", "")
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

# Prometheus metrics across workers (prometheus_client's multiprocess mode): each worker writes
# its counters to files in one directory, which a scrape sums. The directory must be set
# before any worker imports prometheus_client, and emptied when the master starts (files of a
# previous run would be counted again). LMS_BRIDGE_METRICS_DIR names it; by default a fresh
# one per master under /dev/shm (memory, like the heartbeat files).
_metrics_directory = os.environ.get("LMS_BRIDGE_METRICS_DIR") or tempfile.mkdtemp(
    prefix="lms-bridge-metrics-", dir=SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_directory


def on_starting(server):  # type: ignore[no-untyped-def]
    """Empty the metrics directory: counts of a previous master are not this one's."""
    os.makedirs(_metrics_directory, exist_ok=True)
    for entry in os.scandir(_metrics_directory):
        if entry.is_file():
            os.unlink(entry.path)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """A worker ended: its live gauges stop counting (its counters stay, as they should)."""
    from prometheus_client import multiprocess  # noqa: PLC0415 (workers set it up first)

    multiprocess.mark_process_dead(worker.pid, _metrics_directory)


def on_exit(server):  # type: ignore[no-untyped-def]
    """The master ends: a directory it made up goes with it."""
    if not os.environ.get("LMS_BRIDGE_METRICS_DIR"):
        shutil.rmtree(_metrics_directory, ignore_errors=True)


# No Server header: gunicorn names itself on every response and offers no setting to stop it,
# and what software answers is nothing a client needs (nor anyone probing for a known flaw).
# The config file runs in the master before workers fork, so every worker inherits this.
from gunicorn.http import wsgi as gunicorn_wsgi  # noqa: E402


def _without_server(default_headers):  # type: ignore[no-untyped-def]
    def headers(self):  # type: ignore[no-untyped-def]
        return [line for line in default_headers(self) if not line.startswith("Server:")]

    return headers


gunicorn_wsgi.Response.default_headers = _without_server(gunicorn_wsgi.Response.default_headers)
