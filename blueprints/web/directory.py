"""The people directory and identity mappings (administrators): search, edit a person,
import a CSV/XLSX file with every row's problem shown, add and remove a mapping."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from lms_bridge.credit import current_policy
from lms_bridge.credit.unmatched import search_directory
from lms_bridge.db import db
from lms_bridge.models.people import EMPLOYMENT_KINDS
from lms_bridge.people import (
    MappingImportRejected,
    PeopleImportRejected,
    PersonRejected,
    RecordsRejected,
    get_person,
)
from lms_bridge.people.maintenance import (
    MappingNotFound,
    add_mapping,
    edit_person,
    import_directory_upload,
    remove_mapping,
    search_mappings,
)

bp = Blueprint("directory", __name__)

SEARCH_LENGTH = 100
PERSON_FIELDS = ("name", "agency", "unit", "position", "email", "employment")
IDENTITY_FIELDS = ("homePage", "account_name", "mbox")
UPLOAD_BYTES = 20 * 1024 * 1024
"""A directory of every ASN of a province is a few MB; more than this is not a directory."""


@bp.route("/admin/people")
@role_required("admin")
def index() -> ResponseReturnValue:
    """Search by NIP or name; the import form."""
    text = request.args.get("q", "")[:SEARCH_LENGTH]
    return render_template(
        "web/people.html",
        search=text,
        found=search_directory(db.session(), text, agencies=None) if text.strip() else [],
        searched=bool(text.strip()),
    )


@bp.route("/admin/people/import", methods=["POST"])
@role_required("admin")
def import_file() -> ResponseReturnValue:
    """Store the whole file, or nothing and every row's problem."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "error")
        return redirect(url_for("web.directory.index"))
    data = upload.read(UPLOAD_BYTES + 1)
    if len(data) > UPLOAD_BYTES:
        flash(_("The file is larger than 20 MB."), "error")
        return redirect(url_for("web.directory.index"))
    try:
        result = import_directory_upload(
            current_policy(), upload.filename, data, actor=current_principal().email
        )
    except (PeopleImportRejected, RecordsRejected) as rejected:
        return render_template(
            "web/people.html", search="", found=[], searched=False, problems=rejected.problems
        ), 400
    flash(
        _(
            "Imported: %(created)d new, %(updated)d updated, %(unchanged)d unchanged.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
        ),
        "info",
    )
    return redirect(url_for("web.directory.index"))


@bp.route("/admin/people/<nip>", methods=["GET", "POST"])
@role_required("admin")
def person(nip: str) -> ResponseReturnValue:
    """A person's record, and the form that overwrites it."""
    found = get_person(db.session(), nip)
    if found is None:
        abort(404)
    problems = []
    values = {field: getattr(found, field) or "" for field in PERSON_FIELDS}
    if request.method == "POST":
        values = {field: request.form.get(field, "").strip() for field in PERSON_FIELDS}
        try:
            edit_person(current_policy(), found.nip, values, actor=current_principal().email)
        except PersonRejected as rejected:
            problems = rejected.problems
        else:
            flash(_("Saved."), "info")
            return redirect(url_for("web.directory.person", nip=found.nip))
    return render_template(
        "web/person_edit.html",
        nip=found.nip,
        values=values,
        problems=problems,
        employment_kinds=sorted(EMPLOYMENT_KINDS),
    ), (400 if problems else 200)


@bp.route("/admin/identities")
@role_required("admin")
def identities() -> ResponseReturnValue:
    """Mappings, newest first, optionally searched; the form that adds one."""
    text = request.args.get("q", "")[:SEARCH_LENGTH]
    return render_template(
        "web/identities.html",
        search=text,
        mappings=search_mappings(db.session(), text),
        problems=[],
        values={},
    )


@bp.route("/admin/identities", methods=["POST"])
@role_required("admin")
def add_identity() -> ResponseReturnValue:
    """Map one identity to a NIP; its credit moves to that person."""
    values = {field: request.form.get(field, "").strip() for field in (*IDENTITY_FIELDS, "nip")}
    identity = {field: values[field] for field in IDENTITY_FIELDS}
    try:
        add_mapping(current_policy(), identity, values["nip"], actor=current_principal().email)
    except MappingImportRejected as rejected:
        return render_template(
            "web/identities.html",
            search="",
            mappings=search_mappings(db.session(), ""),
            problems=rejected.problems,
            values=values,
        ), 400
    flash(_("The identity is mapped to NIP %(nip)s.", nip=values["nip"]), "info")
    return redirect(url_for("web.directory.identities"))


@bp.route("/admin/identities/<int:mapping_id>/remove", methods=["POST"])
@role_required("admin")
def remove_identity(mapping_id: int) -> ResponseReturnValue:
    """Remove one mapping; the identity's credit is matched again."""
    try:
        identity = remove_mapping(current_policy(), mapping_id, actor=current_principal().email)
    except MappingNotFound:
        abort(404)
    flash(_("The mapping of %(identity)s is removed.", identity=identity), "info")
    return redirect(url_for("web.directory.identities"))
