"""CPU per request of the machine paths through the whole Flask stack, in one process.

``python -m bench.request_overhead [--requests N] [--runs N]`` builds the app of the
checkout it runs in (on a throwaway SQLite file), authenticates one LMS client, and times
GET /xapi/about, GET /xapi/statements?limit=1 and a single-statement POST with Flask's
test client: process CPU per request, median and best of ``--runs``. No network and no
other process, so it isolates what the app's hooks (sessions, sign-in, CSRF, catalogs)
cost a machine request. Run it from two checkouts alternately to compare them
(``cd OTHER && python -m bench.request_overhead``); the host is shared, so compare
medians of several runs.
"""

from __future__ import annotations

import argparse
import base64
import functools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HASH_METHOD = "pbkdf2:sha256:1000"

PATHS = ("/xapi/about", "/xapi/statements?limit=1")
ONE_STATEMENT = {
    "actor": {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "1"}},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
    "object": {"id": "https://lms.example/mod/page/view.php?id=1"},
}
"""A new statement each time it is posted (the LRS gives it an id)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per run (500)")
    parser.add_argument("--runs", type=int, default=7, help="runs per path (7)")
    options = parser.parse_args()
    sys.path.insert(0, str(Path.cwd()))  # the checkout this runs in, not an installed one
    from lms_bridge.access import create_client  # noqa: PLC0415
    from lms_bridge.app import create_app  # noqa: PLC0415
    from lms_bridge.cli import upgrade_database  # noqa: PLC0415
    from lms_bridge.settings import Settings  # noqa: PLC0415

    folder = tempfile.mkdtemp(prefix="lms-bridge-overhead-")
    app = create_app(
        Settings(
            database_url=f"sqlite:///{folder}/overhead.db",
            secret_key="overhead",  # noqa: S106 (a throwaway database's)
            secret_hash_method=HASH_METHOD,
            log_level="WARNING",
        )
    )
    with app.app_context():
        upgrade_database()
        create_client(
            "overhead",
            key="overhead",
            secret="overhead",  # noqa: S106
            scopes=["all"],
            hash_method=HASH_METHOD,
        )
    client = app.test_client()
    headers = {
        "Authorization": "Basic " + base64.b64encode(b"overhead:overhead").decode(),
        "X-Experience-API-Version": "1.0.3",
    }
    print(f"checkout {Path.cwd()}")
    requests: dict[str, Callable[[], object]] = {
        path: functools.partial(client.get, path, headers=headers) for path in PATHS
    }
    requests["POST /xapi/statements (1)"] = functools.partial(
        client.post, "/xapi/statements", json=ONE_STATEMENT, headers=headers
    )
    for path, send in requests.items():
        for _ in range(200):  # warm caches, pools, the verified-secret memo
            send()
        per_request = []
        for _ in range(options.runs):
            start = time.process_time()
            for _ in range(options.requests):
                send()
            per_request.append((time.process_time() - start) / options.requests * 1e6)
        print(
            f"  {path:28} median {statistics.median(per_request):6.0f} µs/request "
            f"(best {min(per_request):.0f}, {options.runs} runs of {options.requests})"
        )


if __name__ == "__main__":
    main()
