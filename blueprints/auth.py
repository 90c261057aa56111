"""Who is calling: LMS clients by HTTP Basic, checked against their scopes.

Failed attempts are counted per key and per address (:mod:`blueprints.throttle`); past the
limit, an attempt whose secret this process has not verified already is a 429.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from flask import Response, after_this_request, has_request_context
from werkzeug.datastructures import Headers

from blueprints.throttle import client_address, failed_attempts
from lms_bridge.access import AuthenticatedClient, authenticate_client
from lms_bridge.access.activity import pending_touch
from lms_bridge.db import db
from lms_bridge.settings import current_settings
from xapi.errors import Forbidden, Unauthorized
from xapi.fields import NUL

REALM = 'Basic realm="lms_bridge xAPI", charset="UTF-8"'


class BasicAuthRequired(Unauthorized):
    """401 that tells the client how to authenticate (RFC 7617)."""

    challenge = REALM


def authenticate(headers: Headers) -> AuthenticatedClient:
    """The client behind the ``Authorization`` header, or 401."""
    header = headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise BasicAuthRequired("HTTP Basic credentials of an LMS client are required")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise BasicAuthRequired("the Authorization header is not valid HTTP Basic") from error
    key, separator, secret = decoded.partition(":")
    if not separator:
        raise BasicAuthRequired("the Authorization header is not valid HTTP Basic")
    if NUL in key:  # no key holds one, and PostgreSQL could not even look it up
        raise BasicAuthRequired("unknown client key, wrong secret, or revoked client")
    attempts = failed_attempts()
    address = client_address()
    client = authenticate_client(
        db.session(),
        key,
        secret,
        settings=current_settings(),
        before_hashing=lambda: attempts.admit(key, address),
    )
    if client is None:
        attempts.record(key, address)
        raise BasicAuthRequired("unknown client key, wrong secret, or revoked client")
    if has_request_context():
        _note_after_the_view(client.id)
    return client


def _note_after_the_view(client_id: int) -> None:
    """Record the client as seen once the response has gone and the request's session has
    given its connection back (lms_bridge.access.activity says why)."""
    touch = pending_touch(client_id)
    if touch is None:
        return

    def note(response: Response) -> Response:
        response.call_on_close(touch)
        return response

    after_this_request(note)


def require(
    client: AuthenticatedClient, allowed: Callable[[frozenset[str]], bool], what: str
) -> None:
    """403 unless the client's scopes allow ``what``."""
    if not allowed(client.scopes):
        raise Forbidden(
            f"this client's scopes ({', '.join(sorted(client.scopes))}) do not allow {what}"
        )
