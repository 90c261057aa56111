"""Security headers of every page response (error pages included)."""

from __future__ import annotations

from flask import Response

from blueprints.web.access import signed_in_account

PAGE_HEADERS = {
    # Nothing from another origin: no CDN, no inline script, no framing by other sites.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def page_headers(response: Response) -> Response:
    """Security headers on every page (error pages call it too); a signed-in page is never
    kept in a cache."""
    for name, value in PAGE_HEADERS.items():
        response.headers.setdefault(name, value)
    if signed_in_account() is not None:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
