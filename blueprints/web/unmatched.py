"""Unmatched actors: credit parked for LMS identities nobody has mapped to a NIP yet.

Mapping one is two plain steps that work without JavaScript: search the directory (by NIP or
name, within the auditor's agencies) for the actor chosen, then pick the person. The credit
moves to them at once, and the mapping is audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from blueprints.web.i18n import decimal_number
from blueprints.web.workbench import decidable_agencies
from lms_bridge.credit import current_policy
from lms_bridge.credit.unmatched import (
    MappingRefused,
    map_unmatched_actor,
    search_directory,
    unmatched_actors,
)
from lms_bridge.db import db

bp = Blueprint("unmatched", __name__)

SEARCH_LENGTH = 100


@bp.route("/unmatched")
@role_required("auditor")
def index() -> ResponseReturnValue:
    """Every parked actor by LMS; with ``actor`` chosen, a directory search to map it."""
    principal = current_principal()
    session = db.session()
    actors = unmatched_actors(session)
    chosen_key = request.args.get("actor", "")
    chosen = next((actor for actor in actors if actor.actor_key == chosen_key), None)
    text = request.args.get("q", "")[:SEARCH_LENGTH]
    found = (
        search_directory(session, text, agencies=decidable_agencies(principal))
        if chosen is not None and text.strip()
        else []
    )
    by_client: dict[str, list[object]] = {}
    for actor in actors:
        by_client.setdefault(actor.client_name, []).append(actor)
    return render_template(
        "web/unmatched.html",
        by_client=by_client,
        chosen=chosen,
        search=text,
        found=found,
        searched=chosen is not None and bool(text.strip()),
    )


@bp.route("/unmatched/map", methods=["POST"])
@role_required("auditor")
def map_actor() -> ResponseReturnValue:
    """Map the chosen actor to the chosen NIP; its credit moves to that person."""
    principal = current_principal()
    actor_key = request.form.get("actor", "")
    nip = request.form.get("nip", "")
    if not actor_key or not nip:
        flash(_("Choose a person from the search results."), "error")
        return redirect(url_for("web.unmatched.index", actor=actor_key or None))
    try:
        mapped = map_unmatched_actor(
            current_policy(),
            actor_key,
            nip,
            mapped_by=principal.email,
            agencies=decidable_agencies(principal),
        )
    except MappingRefused as refused:
        if refused.problem == "person_not_found":
            abort(404)
        flash(
            {
                "nothing_parked": _("This actor has no credit waiting any more."),
                "not_mappable": _("This actor cannot be mapped."),
            }.get(refused.problem, refused.message),
            "error",
        )
        return redirect(url_for("web.unmatched.index"))
    flash(
        _(
            "Mapped to %(name)s (%(nip)s): %(entries)d entries, %(jp)s JP moved to them.",
            name=mapped.name,
            nip=mapped.nip,
            entries=mapped.entries,
            jp=decimal_number(mapped.jp),
        ),
        "info",
    )
    return redirect(url_for("web.unmatched.index"))
