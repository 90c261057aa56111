"""HTTP errors as JSON: what every family of views keeps of werkzeug's error."""

from __future__ import annotations

from flask import Response
from werkzeug.exceptions import HTTPException


def with_error_headers(response: Response, error: HTTPException) -> Response:
    """Keep the headers an HTTP error carries on the JSON response that replaces its page.

    RFC 9110 15.5.6: a 405 MUST say in ``Allow`` which methods the resource supports;
    werkzeug puts it on the error, and building the JSON body from scratch would drop it.
    """
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
