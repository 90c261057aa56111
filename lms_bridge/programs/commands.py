"""``lms-bridge programs|cohorts|webhooks|deliver``: the operator's side of programs.

Registered by :func:`lms_bridge.cli.register_commands`; each command is one use case in
one unit of work. Text for people is Bahasa Indonesia first, English in parentheses.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms_bridge.cli_errors import rejection
from lms_bridge.cli_types import ID, SMALL_COUNT, YEAR
from lms_bridge.db import unit_of_work
from lms_bridge.people.records import RecordsRejected, rows_from_file
from lms_bridge.programs.catalog import import_program, list_programs
from lms_bridge.programs.cohorts import create_cohort, enroll_participants, list_cohorts
from lms_bridge.programs.delivery import deliver_once, delivery_status
from lms_bridge.programs.template import (
    TEMPLATES_DIR,
    load_template,
    shipped_templates,
)
from lms_bridge.programs.webhooks import add_subscription, list_subscriptions
from lms_bridge.settings import current_settings


@click.group("programs", help="Templat program pelatihan (program templates).")
def programs_group() -> None:
    """Group for program commands."""


def _template_file(name: str) -> Path:
    """A path to a template file, or the name of a shipped one (``latsar-cpns``)."""
    path = Path(name)
    if path.is_file():
        return path
    shipped = TEMPLATES_DIR / f"{name}.yaml"
    if shipped.is_file():
        return shipped
    names = ", ".join(file.stem for file in shipped_templates())
    raise click.ClickException(
        f"{name}: bukan berkas atau templat bawaan (not a file or a shipped template: {names})"
    )


@programs_group.command("import")
@click.argument("templates", nargs=-1, required=True)
@with_appcontext
def programs_import(templates: tuple[str, ...]) -> None:
    """Import each TEMPLATE (a FILE.yaml, or a shipped one by name: latsar-cpns, pkp, pka,
    pkn-ii) as a program version; the same content again changes nothing."""
    for name in templates:
        file = _template_file(name)
        template = load_template(file)
        with unit_of_work() as session:
            result = import_program(session, template)
        state = "dibuat (created)" if result.created else "sudah ada, tidak berubah (unchanged)"
        click.echo(f"{result.code} versi {result.version}: {state}, id {result.program_id}")


@programs_group.command("list")
@with_appcontext
def programs_list() -> None:
    """List stored program versions."""
    with unit_of_work(writes=False) as session:
        for program, modules in list_programs(session):
            total = program.definition.get("jp_total") or "belum dikonfirmasi (unconfirmed)"
            click.echo(
                f"{program.code}\tv{program.version}\t{modules} modul\tJP {total}\t{program.name}"
            )


@click.group("cohorts", help="Angkatan (cohorts) dan pesertanya (participants).")
def cohorts_group() -> None:
    """Group for cohort commands."""


@cohorts_group.command("create")
@click.option("--program", "program_code", required=True, help="Kode program, mis. latsar-cpns.")
@click.option(
    "--version", "program_version", type=SMALL_COUNT, default=None, help="Default: terbaru."
)
@click.option("--year", type=YEAR, required=True)
@click.option("--number", type=SMALL_COUNT, required=True, help="Nomor angkatan.")
@click.option("--name", required=True)
@click.option("--start", "starts_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--end", "ends_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--organiser", required=True, help="Penyelenggara, mis. BPSDM Provinsi Lampung.")
@with_appcontext
def cohorts_create(
    *,
    program_code: str,
    program_version: int | None,
    year: int,
    number: int,
    name: str,
    starts_on: datetime,
    ends_on: datetime,
    organiser: str,
) -> None:
    """Create a cohort; prints its id and activity IRI."""
    with unit_of_work() as session:
        cohort = create_cohort(
            session,
            program_code=program_code,
            program_version=program_version,
            year=year,
            number=number,
            name=name,
            starts_on=starts_on.date(),
            ends_on=ends_on.date(),
            organiser=organiser,
        )
        cohort_id, activity_id = cohort.id, cohort.activity_id
    click.echo(f"angkatan (cohort) {cohort_id}: {activity_id}")


@cohorts_group.command("list")
@with_appcontext
def cohorts_list() -> None:
    """List cohorts, newest first."""
    with unit_of_work(writes=False) as session:
        for cohort in list_cohorts(session):
            click.echo(
                f"{cohort.id}\t{cohort.year}/{cohort.number}\t{cohort.starts_on}..{cohort.ends_on}"
                f"\t{cohort.name}\t{cohort.organiser}"
            )


@cohorts_group.command("enroll")
@click.argument("cohort_id", type=ID)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def cohorts_enroll(cohort_id: int, file: Path) -> None:
    """Enroll participants from FILE.csv (columns: nip, name, registration; or nip, nama,
    registrasi): all or none."""
    try:
        rows = rows_from_file(file)
        with unit_of_work() as session:
            result = enroll_participants(session, cohort_id, rows)
    except RecordsRejected as error:
        raise rejection(file, error) from error
    click.echo(
        f"peserta baru {result.created}, sudah terdaftar {result.unchanged} "
        "(enrolled, already enrolled)"
    )


@click.group("webhooks", help="Langganan webhook kemajuan (progress webhooks).")
def webhooks_group() -> None:
    """Group for webhook commands."""


@webhooks_group.command("add")
@click.option("--url", required=True)
@click.option("--cohort", "cohort_id", type=ID, default=None, help="Satu angkatan (one cohort).")
@click.option("--all", "all_cohorts", is_flag=True, help="Semua angkatan (every cohort).")
@with_appcontext
def webhooks_add(url: str, cohort_id: int | None, all_cohorts: bool) -> None:
    """Subscribe URL and print its signing secret (shown only now)."""
    if (cohort_id is None) == (not all_cohorts):
        raise click.UsageError("pilih salah satu: --cohort ID atau --all (choose one)")
    with unit_of_work() as session:
        created = add_subscription(
            session, url, cohort_id, secret_key=current_settings().secret_key
        )
    click.echo(f"langganan (subscription) {created.id}: {created.url}")
    click.echo(f"rahasia penandatangan (signing secret): {created.secret}")
    click.echo("Rahasia ini hanya ditampilkan sekarang (shown only now; stored encrypted).")


@webhooks_group.command("list")
@with_appcontext
def webhooks_list() -> None:
    """List subscriptions (never their secrets)."""
    with unit_of_work(writes=False) as session:
        for subscription in list_subscriptions(session):
            scope = subscription.cohort_id if subscription.cohort_id is not None else "semua"
            state = "aktif" if subscription.active else "nonaktif"
            click.echo(f"{subscription.id}\t{scope}\t{state}\t{subscription.url}")


@click.command("deliver")
@click.option(
    "--once", is_flag=True, help="Kirim yang jatuh tempo lalu berhenti (drain what is due, exit)."
)
@click.option("--max-attempts", type=SMALL_COUNT, default=8, show_default=True)
@click.option(
    "--backoff",
    type=click.FloatRange(min=0, max=86400),
    default=30.0,
    show_default=True,
    help="Detik, dikali 2 tiap kali (doubles).",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0, max=3600),
    default=2.0,
    show_default=True,
    help="Detik antar putaran.",
)
@click.option("--status", "show_status", is_flag=True, help="Daftar pending/failed lalu berhenti.")
@with_appcontext
def deliver(
    *, once: bool, max_attempts: int, backoff: float, interval: float, show_status: bool
) -> None:
    """Send queued progress events to the webhook subscribers, retrying with back-off."""
    if show_status:
        with unit_of_work(writes=False) as session:
            counts, rows = delivery_status(session)
        click.echo("  ".join(f"{status}: {count}" for status, count in sorted(counts.items())))
        for row in rows:
            click.echo(
                f"{row.delivery_id}\t{row.status}\t{row.attempts}x\t{row.event_type}\t"
                f"{row.event_id}\t{row.url}\t{row.last_error or '-'}"
            )
        return
    secret_key = current_settings().secret_key
    if not secret_key:
        raise click.ClickException(
            "LMS_BRIDGE_SECRET_KEY belum disetel: rahasia webhook tidak dapat dibuka "
            "(set LMS_BRIDGE_SECRET_KEY)"
        )
    while True:
        run = deliver_once(
            secret_key=secret_key,
            max_attempts=max_attempts,
            backoff=timedelta(seconds=backoff),
        )
        if run.delivered or run.retried or run.failed:
            click.echo(
                f"terkirim {run.delivered}, diulang {run.retried}, gagal {run.failed} "
                "(delivered, retrying, failed)"
            )
        idle = not (run.delivered or run.retried or run.failed)
        if once and idle:
            return
        if idle:
            time.sleep(interval)
