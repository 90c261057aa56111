"""A local webhook receiver: http.server in a thread on 127.0.0.1, on a free port."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lms_bridge.programs import signature


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Receiver:
    """What the receiver saw (header names lowercased); the first ``fail_first`` get a 500."""

    port: int
    fail_first: int = 0
    failure_answer: bytes = b""
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lms/webhook"

    def verified(self, secret: str) -> bool:
        """Every accepted request carries a signature that verifies with ``secret``."""
        return all(
            signature(secret, headers["x-lms-bridge-timestamp"], body)
            == headers["x-lms-bridge-signature"]
            for headers, body in self.requests
        )

    def delivery_ids(self) -> list[str]:
        return [event["headers"]["x-lms-bridge-delivery"] for event in self.accepted]


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    """Serve until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {key.lower(): value for key, value in self.headers.items()}
            with receiver.lock:
                receiver.requests.append((headers, body))
                failing = len(receiver.requests) <= receiver.fail_first
                if not failing:
                    receiver.accepted.append({"headers": headers, "body": json.loads(body)})
            self.send_response(500 if failing else 204)
            if failing and receiver.failure_answer:
                self.send_header("Content-Length", str(len(receiver.failure_answer)))
                self.end_headers()
                self.wfile.write(receiver.failure_answer)
                return
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
