"""Cookie sessions for the pages only: machine paths never open one."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

MACHINE_PREFIXES = ("/xapi", "/api/v1", "/healthz", "/readyz", "/metrics")
"""LMS clients, API scripts, probes and scrapers authenticate every request (or need no
authentication); they never carry a session and get JSON errors."""
_UNDER_MACHINE_PREFIXES = tuple(prefix + "/" for prefix in MACHINE_PREFIXES)


def is_machine_path(path: str) -> bool:
    """Whether ``path`` belongs to the LRS or the JSON API (not to a page); every request
    asks, so it is one ``startswith`` over a tuple."""
    return path.startswith(_UNDER_MACHINE_PREFIXES) or path in MACHINE_PREFIXES


class PageSessions(SecureCookieSessionInterface):
    """Signed cookie sessions for pages; Flask's null session on machine paths.

    Opening a session costs a signer and a cookie lookup per request, which the LRS's hot
    path does not pay: its requests get the null session, which refuses writes loudly.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_machine_path(request.path):
            return None
        return super().open_session(app, request)
