"""A lean HTTP/1.1 load client: pre-built requests, one keep-alive socket per worker thread.

Why not ``http.client`` or httpx: the client shares the machine's two cores with the server, so
every microsecond it spends is taken from the thing being measured. ``http.client`` parses each
response's headers with the ``email`` package (about 240 µs of CPU per request on the reference
machine); this client sends a request that was serialised before the clock started and reads
the response with a few ``bytes`` operations (about 50 µs). It speaks just enough HTTP/1.1 for
a WSGI server: ``Content-Length`` or chunked bodies, keep-alive, and ``Connection: close``
(gunicorn's sync workers close after every response; the next request reconnects).
"""

from __future__ import annotations

import base64
import itertools
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

XAPI_VERSION = "1.0.3"
MAX_RECORDED_FAILURES = 5
RECV_SIZE = 65536  # above glibc's mmap threshold (128 KiB) every recv would map fresh pages


class ProtocolError(ConnectionError):
    """The server closed the connection or answered something that is not HTTP/1.x."""


@dataclass(frozen=True)
class Endpoint:
    """Where the LRS is and how to authenticate; builds the raw bytes of each request."""

    scheme: str
    host: str
    port: int
    base_path: str
    authorization: str

    @classmethod
    def from_url(cls, url: str, key: str, secret: str) -> Endpoint:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        token = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"), f"Basic {token}")

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{self.base_path}"

    def request(
        self, method: str, resource: str, body: bytes | None = None, *, authenticate: bool = True
    ) -> bytes:
        """The complete request, head and body, ready for ``sendall``."""
        lines = [
            f"{method} {self.base_path}{resource} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"X-Experience-API-Version: {XAPI_VERSION}",
            "Accept: application/json",
        ]
        if authenticate:
            lines.append(f"Authorization: {self.authorization}")
        if body is not None:
            lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(body)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head + body if body is not None else head


@dataclass(frozen=True)
class Request:
    """One pre-built request; ``statements`` is how many statements it carries (0 for a GET)."""

    wire: bytes
    label: str
    statements: int = 0
    expect: object = None  # what the validator should find, scenario-defined
    validate: bool = False


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


@dataclass(frozen=True)
class Failure:
    request: str
    status: int
    detail: str


Validator = Callable[[Request, Response], str | None]


@dataclass
class RunResult:
    """Raw measurements of one run: latencies in seconds of the requests that succeeded."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0
    host_busy: float | None = None
    host_steal: float | None = None
    """Share of the machine's CPU time its hypervisor gave to other guests meanwhile."""
    requests: int = 0
    statements: int = 0
    failure_count: int = 0
    failures: list[Failure] = field(default_factory=list)
    retries: int = 0


class Connection:
    """One persistent socket; reconnects when the server closed it."""

    def __init__(self, endpoint: Endpoint, timeout: float) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self._buffer = b""
        self._tls = ssl.create_default_context() if endpoint.scheme == "https" else None

    def connect(self) -> None:
        sock = socket.create_connection((self.endpoint.host, self.endpoint.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_hostname=self.endpoint.host)
        self.sock = sock
        self._buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None
        self._buffer = b""

    def exchange(self, wire: bytes) -> Response:
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        self.sock.sendall(wire)
        head = self._read_head()
        status_line, _, header_block = head.partition(b"\r\n")
        version, _, rest = status_line.partition(b" ")
        if not version.startswith(b"HTTP/1."):
            raise ProtocolError(f"not an HTTP/1.x response: {status_line[:80]!r}")
        status = int(rest[:3])
        length = -1
        chunked = False
        close = version == b"HTTP/1.0"
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                token = value.strip().lower()
                close = token == b"close" or (close and token != b"keep-alive")
        if chunked:
            body = self._read_chunked()
        elif length >= 0:
            body = self._read_exact(length)
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:
            body = self._read_to_end()
            close = True
        if close:
            self.close()
        return Response(status, body)

    def _recv(self) -> bytes:
        assert self.sock is not None
        data = self.sock.recv(RECV_SIZE)
        if not data:
            raise ProtocolError("server closed the connection")
        return data

    def _read_head(self) -> bytes:
        buffer = self._buffer
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                self._buffer = buffer[end + 4 :]
                return buffer[:end]
            buffer += self._recv()

    def _read_exact(self, length: int) -> bytes:
        buffer = self._buffer
        if len(buffer) < length:
            parts = [buffer]
            have = len(buffer)
            while have < length:
                data = self._recv()
                parts.append(data)
                have += len(data)
            buffer = b"".join(parts)
        self._buffer = buffer[length:]
        return buffer[:length]

    def _read_line(self) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            self._buffer += self._recv()
        line = self._buffer[:end]
        self._buffer = self._buffer[end + 2 :]
        return line

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self._read_line().split(b";")[0], 16)
            if size == 0:
                while self._read_line():  # trailers, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._read_exact(size))
            self._read_exact(2)

    def _read_to_end(self) -> bytes:
        parts = [self._buffer]
        self._buffer = b""
        assert self.sock is not None
        while data := self.sock.recv(RECV_SIZE):
            parts.append(data)
        return b"".join(parts)


RETRYABLE = (ProtocolError, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def send_once(endpoint: Endpoint, wire: bytes, timeout: float = 30.0) -> Response:
    """One request on a fresh connection (setup, checks); not for timed loops."""
    connection = Connection(endpoint, timeout)
    try:
        return connection.exchange(wire)
    finally:
        connection.close()


def _host_jiffies() -> tuple[int, int, int] | None:
    """(busy, steal, total) CPU ticks of the whole machine from /proc/stat; None off Linux.

    Steal (counted in busy too) is time this virtual machine was ready to run and its
    hypervisor ran another guest: the shared host's slow phases show up there.
    """
    try:
        with open("/proc/stat", "rb") as stat:
            fields = [int(x) for x in stat.readline().split()[1:9]]  # guest time is in user
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0
    return sum(fields) - idle, steal, sum(fields)


def run_requests(
    endpoint: Endpoint,
    requests: Sequence[Request],
    connections: int,
    *,
    validator: Validator | None = None,
    timeout: float = 60.0,
    max_failures: int = 50,
) -> RunResult:
    """Send ``requests`` over ``connections`` keep-alive sockets, as fast as answers come.

    Each worker thread takes the next request from a shared counter, so faster connections do
    more of the work and the run ends when the last answer arrives. Latency is from the first
    byte sent to the last byte received. Only 2xx answers count as success; a ``validator`` may
    still reject one (a wrong count of ids, a query that came back empty). A run stops early
    once ``max_failures`` requests failed, so a dead server does not take minutes to report.
    """
    result = RunResult()
    counter = itertools.count()
    lock = threading.Lock()
    stop = threading.Event()
    ready = threading.Barrier(connections + 1)
    per_thread: list[list[float]] = [[] for _ in range(connections)]
    stats = {"requests": 0, "statements": 0, "retries": 0}

    def fail(request: Request, status: int, detail: str) -> None:
        with lock:
            result.failure_count += 1
            if len(result.failures) < MAX_RECORDED_FAILURES:
                result.failures.append(Failure(request.label, status, detail[:500]))
            if result.failure_count >= max_failures:
                stop.set()

    def worker(slot: int) -> None:
        connection = Connection(endpoint, timeout)
        latencies = per_thread[slot]
        done = statements = retries = 0
        try:
            try:
                connection.connect()
            except OSError as error:
                fail(Request(b"", "connect"), 0, f"{type(error).__name__}: {error}")
                stop.set()
            ready.wait()
            n = len(requests)
            perf_counter = time.perf_counter
            while not stop.is_set():
                index = next(counter)
                if index >= n:
                    break
                request = requests[index]
                start = perf_counter()
                try:
                    try:
                        response = connection.exchange(request.wire)
                    except RETRYABLE:
                        # A keep-alive socket the server had already closed: one more try.
                        connection.close()
                        retries += 1
                        response = connection.exchange(request.wire)
                except (OSError, ValueError) as error:
                    connection.close()
                    fail(request, 0, f"{type(error).__name__}: {error}")
                    continue
                elapsed = perf_counter() - start
                if not 200 <= response.status < 300:
                    fail(request, response.status, response.body.decode("utf-8", "replace"))
                    continue
                if validator is not None and request.validate:
                    problem = validator(request, response)
                    if problem is not None:
                        fail(request, response.status, problem)
                        continue
                latencies.append(elapsed)
                done += 1
                statements += request.statements
        finally:
            connection.close()
            with lock:
                stats["requests"] += done
                stats["statements"] += statements
                stats["retries"] += retries

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"bench-{i}", daemon=True)
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    cpu0, wall0, host0 = time.process_time(), time.perf_counter(), _host_jiffies()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - wall0
    result.client_cpu = time.process_time() - cpu0
    host1 = _host_jiffies()
    if host0 is not None and host1 is not None and host1[2] > host0[2]:
        total = host1[2] - host0[2]
        result.host_busy = (host1[0] - host0[0]) / total
        result.host_steal = (host1[1] - host0[1]) / total
    result.latencies = sorted(itertools.chain.from_iterable(per_thread))
    result.requests = stats["requests"]
    result.statements = stats["statements"]
    result.retries = stats["retries"]
    return result
