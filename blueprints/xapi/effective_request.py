"""The effective xAPI request: method, headers, parameters and body after unwrapping.

xAPI 1.0.3 Communication 1.3 ("Alternate Request Syntax") lets a client send any request as
a form POST with ``?method=``; headers, parameters and content then travel as form fields.
Views read this object, never ``flask.request`` directly, so both syntaxes share one path.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from flask import g, request
from werkzeug.datastructures import Headers

from lms_bridge.access import AuthenticatedClient
from xapi.errors import BadRequest
from xapi.versions import HEADER, XAPIVersion

ALTERNATE_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})
FORM_FRAMING = frozenset({"content-type", "content-length"})
HEADER_FIELDS = (
    "Authorization",
    HEADER,
    "Content-Type",
    "Content-Length",
    "If-Match",
    "If-None-Match",
    "Accept-Language",
)


@dataclass
class XAPIRequest:
    """What a view needs to know about the request, whichever syntax carried it."""

    method: str
    headers: Headers
    args: dict[str, list[str]]
    body: bytes
    alternate: bool = False
    negotiated_version: XAPIVersion | None = None
    client: AuthenticatedClient | None = field(default=None)

    @property
    def version(self) -> XAPIVersion:
        """The negotiated version; views run only after the gate negotiated it."""
        assert self.negotiated_version is not None
        return self.negotiated_version

    @property
    def mimetype(self) -> str:
        """The media type without parameters, lowercased."""
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def parameters(
        self, what: str, allowed: Collection[str], required: Collection[str] = ()
    ) -> dict[str, str]:
        """Each parameter once, only ``allowed`` ones, ``required`` ones present (else 400).

        xAPI 1.0.3 Communication 3.2: the LRS rejects unknown parameters (names are case
        sensitive) and a resource's parameters are single-valued.
        """
        values: dict[str, str] = {}
        for name, given in self.args.items():
            if name not in allowed:
                raise BadRequest(
                    f"{what} takes {', '.join(sorted(allowed)) or 'no parameters'}; "
                    f"{name!r} is not one of them"
                )
            if len(given) != 1:
                raise BadRequest(f"parameter {name!r} given {len(given)} times")
            values[name] = given[0]
        missing = [name for name in required if name not in values]
        if missing:
            raise BadRequest(f"{what} needs the {', '.join(repr(n) for n in missing)} parameter")
        return values


def read_request() -> XAPIRequest:
    """Build the effective request from ``flask.request`` (called once, before the view)."""
    args = {name: request.args.getlist(name) for name in request.args}
    if request.method == "POST" and "method" in args:
        return _read_alternate(args)
    return XAPIRequest(
        method=request.method,
        headers=Headers(request.headers),
        args=args,
        body=request.get_data(cache=True),
    )


def _read_alternate(args: dict[str, list[str]]) -> XAPIRequest:
    method = args.pop("method")[0].upper()
    if args:
        raise BadRequest(
            "with the alternate request syntax, 'method' must be the only query parameter; "
            f"move {', '.join(sorted(args))} into the form body"
        )
    if method not in ALTERNATE_METHODS:
        raise BadRequest(f"method={method} is not an xAPI method")
    if request.mimetype != "application/x-www-form-urlencoded":
        raise BadRequest(
            "the alternate request syntax needs Content-Type: application/x-www-form-urlencoded"
        )
    form = parse_qs(request.get_data(as_text=True), keep_blank_values=True)
    # Headers sent as headers still count; the form's own Content-Type/Length describe the
    # form, not the content, and form fields named like headers override them.
    headers = Headers(
        [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in FORM_FRAMING
        ]
    )
    for name in HEADER_FIELDS:
        values = form.pop(name, None)
        if values:
            headers[name] = values[0]
    content = form.pop("content", [""])[0]
    return XAPIRequest(
        method=method,
        headers=headers,
        args=form,
        body=content.encode(),
        alternate=True,
    )


def current() -> XAPIRequest:
    """The effective request of this request context."""
    xapi_request: XAPIRequest = g.xapi_request
    return xapi_request
