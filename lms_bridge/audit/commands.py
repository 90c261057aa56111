"""``lms-bridge audit verify``: check the audit trail's hash chain from the first record."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from lms_bridge.audit.trail import verify_chain
from lms_bridge.db import unit_of_work


@click.group("audit", help="Jejak audit (the audit trail).")
def audit_group() -> None:
    """Group for audit-trail commands."""


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Recompute every record's hash; exit 1 at the first record that was changed or removed."""
    with unit_of_work(writes=False) as session:
        report = verify_chain(session)
    if report.ok:
        click.echo(
            f"jejak audit utuh: {report.checked} catatan, kepala {report.head_seq} "
            f"{report.head_hash[:16]} (audit trail intact: {report.checked} records, "
            f"head {report.head_seq})"
        )
        return
    click.echo(
        f"jejak audit RUSAK pada catatan {report.first_broken} "
        f"(audit trail BROKEN at record {report.first_broken}: {report.problem}); "
        f"{report.checked} catatan diperiksa (records checked)",
        err=True,
    )
    sys.exit(1)
