"""The JP policy (administrators): the rules that run, upload a new version (validated),
its dry run (who gains or loses how many JP), then apply it (the ledger is recomputed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from lms_bridge.credit import PolicyError, active_policy, current_policy
from lms_bridge.credit.policy_versions import (
    DRY_RUN_STATEMENTS,
    POLICY_BYTES,
    DryRunTooLarge,
    PolicyNotFound,
    apply_policy,
    dry_run_policy,
    stored_policies,
    upload_policy,
)
from lms_bridge.db import db
from lms_bridge.programs.modules import nominal_jp_of_every_module

bp = Blueprint("policy", __name__)


def _page(**context: object) -> str:
    return render_template(
        "web/policy.html",
        policy=current_policy(),
        stored_id=active_policy().stored_id,
        versions=stored_policies(db.session()),
        **context,
    )


@bp.route("/admin/policy")
@role_required("admin")
def index() -> ResponseReturnValue:
    """The running policy, its rules, the uploaded versions, the upload form."""
    return _page()


@bp.route("/admin/policy", methods=["POST"])
@role_required("admin")
def upload() -> ResponseReturnValue:
    """Validate and keep a new version, then show its dry run."""
    upload = request.files.get("file")
    data = upload.read(POLICY_BYTES + 1) if upload is not None else b""
    if not data:
        data = request.form.get("text", "").encode()
    if not data.strip():
        return _page(problems=[_("Choose a policy file (YAML).")]), 400
    if len(data) > POLICY_BYTES:
        return _page(problems=[_("The policy file is larger than 512 KB.")]), 400
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _page(problems=[_("The policy file must be UTF-8 text.")]), 400
    try:
        policy_id = upload_policy(text, actor=current_principal().email)
    except PolicyError as error:
        return _page(problems=error.problems), 400
    return redirect(url_for("web.policy.preview", policy_id=policy_id))


@bp.route("/admin/policy/<int:policy_id>")
@role_required("admin")
def preview(policy_id: int) -> ResponseReturnValue:
    """The dry run: every person whose JP would change, per year, before → after."""
    try:
        dry_run = dry_run_policy(policy_id, nominal_jp_of_every_module)
    except PolicyNotFound:
        abort(404)
    except DryRunTooLarge as large:
        return render_template(
            "web/policy_preview.html",
            dry_run=None,
            policy_id=policy_id,
            too_large=large.statements,
            limit=DRY_RUN_STATEMENTS,
        )
    return render_template("web/policy_preview.html", dry_run=dry_run, policy_id=policy_id)


@bp.route("/admin/policy/<int:policy_id>/apply", methods=["POST"])
@role_required("admin")
def apply(policy_id: int) -> ResponseReturnValue:
    """Make it the running policy and recompute the ledger."""
    try:
        applied = apply_policy(
            active_policy(), policy_id, nominal_jp_of_every_module, actor=current_principal().email
        )
    except PolicyNotFound:
        abort(404)
    flash(
        _(
            "Policy %(version)s is applied: JP of %(people)d people changed.",
            version=applied.version,
            people=len({change.nip for change in applied.changes}),
        ),
        "info",
    )
    return redirect(url_for("web.policy.index"))
