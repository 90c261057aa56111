"""The public verification page of an STTPL: no sign-in, reached from the QR code.

It shows what the certificate says (name, program, cohort, date) and whether it is valid or
revoked; an unknown code is a plain 404 page. It shows nothing else: not the NIP, not who
issued or revoked it, so the page gives a stranger no more than the paper they hold.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from lms_bridge.programs.certificates import verify_certificate

bp = Blueprint("verification", __name__)


@bp.route("/verifikasi/<code>")
def show(code: str) -> ResponseReturnValue:
    """The certificate with this public code, valid or revoked; 404 for an unknown code."""
    shown = verify_certificate(code)
    if shown is None:
        return render_template("web/verification_not_found.html", bare=True), 404
    response = render_template("web/verification.html", shown=shown, bare=True)
    return response, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
