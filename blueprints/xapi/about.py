"""GET /xapi/about (xAPI 1.0.3 Communication 2.8): versions and extensions, no auth."""

from __future__ import annotations

from flask import Response, jsonify

from blueprints.xapi import bp
from xapi.versions import SUPPORTED


@bp.route("/about", methods=["GET"])
def about() -> Response:
    """Which xAPI versions this LRS speaks."""
    return jsonify({"version": list(SUPPORTED), "extensions": {}})
