"""``lms-bridge …`` (and ``flask …``) commands: database, LMS clients, the demo client."""

from __future__ import annotations

import json
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Flask
from flask.cli import with_appcontext

from lms_bridge.access import (
    create_client,
    list_clients,
    reset_client,
    revoke_client,
)
from lms_bridge.access.clients import KNOWN_SCOPES
from lms_bridge.accounts.commands import users_group
from lms_bridge.audit.commands import audit_group
from lms_bridge.cli_errors import OneLineErrorsAppGroup, OneLineErrorsGroup, rejection
from lms_bridge.cli_types import YEAR
from lms_bridge.credit import (
    current_policy,
    nominal_jp_lookup,
    rematch_actors,
    rematch_email_actors,
)
from lms_bridge.credit.explain import as_markdown, explain, statements_in
from lms_bridge.credit.policy import load_policy
from lms_bridge.credit.recompute import count_statements, recompute_credit, unfinished_run
from lms_bridge.db import db, unit_of_work
from lms_bridge.people import (
    RecordsRejected,
    import_actor_mappings,
    import_people,
    rows_from_file,
)
from lms_bridge.programs.commands import cohorts_group, programs_group, webhooks_group
from lms_bridge.programs.commands import deliver as deliver_command
from lms_bridge.programs.modules import nominal_jp_of_every_module
from lms_bridge.settings import current_settings
from xapi import scopes as xapi_scopes

MIGRATIONS = Path(__file__).parent / "migrations"
DEMO_CLIENT_NAME = "demo"


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Migrate the application's database (inside an app context).

    An unknown REVISION is refused before anything connects (alembic's CommandError).
    """
    config = alembic_config()
    ScriptDirectory.from_config(config).get_revisions(revision)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@click.group("db", help="Database schema.")
def db_group() -> None:
    """Group for schema commands."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    upgrade_database(revision)
    click.echo(f"database at {db.engine.url.render_as_string(hide_password=True)} is up to date")


@click.group("clients", help="LMS client credentials (HTTP Basic, xAPI scopes).")
def clients_group() -> None:
    """Group for client commands."""


@clients_group.command("create")
@click.option("--name", required=True, help="Who this client is, e.g. 'Moodle BPSDM Lampung'.")
@click.option("--key", default=None, help="The key (user name); generated when omitted.")
@click.option("--secret", default=None, help="The secret; generated when omitted.")
@click.option(
    "--scope",
    "scope_list",
    multiple=True,
    type=click.Choice(sorted(KNOWN_SCOPES)),
    help="An xAPI or API scope (credit/read, people/write, credit/audit, metrics); repeat for "
    "several. Default: statements/write statements/read/mine.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def clients_create(
    name: str, key: str | None, secret: str | None, scope_list: tuple[str, ...], as_json: bool
) -> None:
    """Create a client and print its key and secret (the secret is shown only now)."""
    created = create_client(
        name,
        key=key,
        secret=secret,
        scopes=scope_list,
        hash_method=current_settings().secret_hash_method,
    )
    _print_credentials(created.name, created.key, created.secret, created.scopes, as_json)


def _print_credentials(
    name: str, key: str, secret: str, scopes: tuple[str, ...], as_json: bool
) -> None:
    if as_json:
        click.echo(json.dumps({"name": name, "key": key, "secret": secret, "scopes": list(scopes)}))
        return
    click.echo(f"name:   {name}")
    click.echo(f"key:    {key}")
    click.echo(f"secret: {secret}")
    click.echo(f"scopes: {' '.join(scopes)}")
    click.echo("The secret is stored hashed and cannot be shown again.")


@clients_group.command("list")
@with_appcontext
def clients_list() -> None:
    """List clients (never their secrets)."""
    for client in list_clients(db.session()):
        state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
        click.echo(f"{client.key}\t{client.name}\t{' '.join(client.scopes)}\t{state}")


@clients_group.command("revoke")
@click.argument("key")
@with_appcontext
def clients_revoke(key: str) -> None:
    """Revoke the client with KEY: its next request is refused."""
    revoke_client(key)
    click.echo(f"revoked {key}")


@clients_group.command("demo")
@click.option("--url", default="http://127.0.0.1:8000/xapi", help="Endpoint to print.")
@with_appcontext
def clients_demo(url: str) -> None:
    """(Re)create the demo client with a fresh secret and print how to use it.

    Secrets are stored hashed, so the only way to show working demo credentials on every
    start is to issue new ones; the previous demo secret stops working.
    """
    created = reset_client(
        DEMO_CLIENT_NAME,
        key=DEMO_CLIENT_NAME,
        scopes=[xapi_scopes.ALL],
        hash_method=current_settings().secret_hash_method,
    )
    click.echo("")
    click.echo(f"  xAPI endpoint: {url}")
    click.echo(f"  demo client:   key {created.key}  secret {created.secret}  (scope: all)")
    click.echo(
        f"  try: curl -u {created.key}:{created.secret} -H 'X-Experience-API-Version: 1.0.3' "
        f"{url}/statements"
    )
    click.echo("")


@click.group("credit", help="JP credit: recompute the ledger, explain the policy.")
def credit_group() -> None:
    """Group for credit commands."""


@credit_group.command("recompute")
@click.option("--year", type=YEAR, default=None, help="Only statements of this year.")
@click.option(
    "--resume/--restart",
    default=True,
    show_default=True,
    help="Continue an unfinished run of the same policy and year, or start again.",
)
@with_appcontext
def credit_recompute(year: int | None, resume: bool) -> None:
    """Rebuild the ledger from stored statements under the current policy.

    Auditors' decisions on entries that still exist are kept. The run commits a chunk of
    LMS identities at a time while the service keeps ingesting; a run that stopped is
    resumed where it was (its record in credit_recomputations says how far it got).
    """
    policy = current_policy()
    unfinished = unfinished_run(policy, year) if resume else None
    with unit_of_work(writes=False) as session:
        total = count_statements(session, policy, year)
        modules_jp = nominal_jp_of_every_module(session)
    if unfinished is not None:
        click.echo(
            f"melanjutkan (resuming) run {unfinished.id}: {unfinished.statements} statements "
            "sudah (done)"
        )
        total = max(total - unfinished.statements, 0)
    with click.progressbar(length=total, label="Menghitung ulang JP (recomputing)") as bar:
        report = recompute_credit(
            policy,
            nominal_jp_lookup(policy, modules_jp),
            year=year,
            progress=bar.update,
            resume=unfinished,
        )
    click.echo(f"kebijakan (policy) {policy.version}, {report.statements} statements")
    click.echo(f"  entri baru (added):      {report.entries_added}")
    click.echo(f"  entri dicabut (removed): {report.entries_removed}")
    click.echo(f"  entri berubah (changed): {report.entries_changed}")
    click.echo(f"  JP sebelum → sesudah:    {report.jp_before} → {report.jp_after}")


@credit_group.command("explain")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--markdown", "as_markdown_title", default=None, help="Print a Markdown report.")
@with_appcontext
def credit_explain(paths: tuple[Path, ...], as_markdown_title: str | None) -> None:
    """Say what the policy makes of the statements in PATHS (JSON files or folders)."""
    policy = current_policy()
    with unit_of_work(writes=False) as session:
        modules_jp = nominal_jp_of_every_module(session)
    lines = explain(statements_in(paths), policy, nominal_jp_lookup(policy, modules_jp))
    if as_markdown_title:
        click.echo(as_markdown(lines, as_markdown_title), nl=False)
        return
    for line in lines:
        click.echo(f"{line.source}\t{line.rule_id or '-'}\t{line.jp}\t{line.text}")


@click.group("policy", help="The JP policy file.")
def policy_group() -> None:
    """Group for policy commands."""


@policy_group.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def policy_check(path: Path | None) -> None:
    """Validate a policy file (default: the shipped one) and list its rules."""
    policy = load_policy(path)
    click.echo(f"{policy.name} — versi {policy.version}: {len(policy.rules)} aturan (rules)")
    for rule in policy.rules:
        click.echo(f"  {rule.id:22} {rule.path:12} {rule.form}")


@click.group("people", help="Direktori ASN (the ASN directory): who earns credit.")
def people_group() -> None:
    """Group for directory commands."""


@click.group("identities", help="Pemetaan identitas LMS ke NIP (LMS identities mapped to NIPs).")
def identities_group() -> None:
    """Group for actor-mapping commands."""


@people_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def people_import(file: Path) -> None:
    """Import the directory from FILE.csv (columns: nip, name, agency, unit, position,
    email, employment). The file is stored whole or not at all."""
    try:
        result = import_people(rows_from_file(file))
    except RecordsRejected as error:
        raise rejection(file, error) from error
    click.echo(
        f"dibuat {result.created}, diperbarui {result.updated}, tidak berubah "
        f"{result.unchanged} (created, updated, unchanged)"
    )
    if result.changed_nips:
        groups = rematch_email_actors(current_policy())
        click.echo(f"kelompok kredit berubah (credit groups changed): {groups}")


@identities_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def identities_import(file: Path) -> None:
    """Import LMS identity → NIP mappings from FILE.csv (columns: homePage, account_name,
    nip; or mbox, nip), then credit the statements of every changed identity again."""
    try:
        result = import_actor_mappings(rows_from_file(file))
    except RecordsRejected as error:
        raise rejection(file, error) from error
    click.echo(
        f"dibuat {result.created}, diperbarui {result.updated}, tidak berubah "
        f"{result.unchanged} (created, updated, unchanged)"
    )
    if result.actor_keys:
        groups = rematch_actors(result.actor_keys, current_policy())
        click.echo(
            f"kredit {len(result.actor_keys)} identitas dicocokkan ulang, {groups} kelompok "
            f"kredit berubah ({len(result.actor_keys)} identities re-matched, {groups} credit "
            "groups changed)"
        )


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app (``flask db upgrade`` works too)."""
    app.cli = OneLineErrorsAppGroup(app.cli.name, commands=app.cli.commands)
    app.cli.add_command(db_group)
    app.cli.add_command(clients_group)
    app.cli.add_command(people_group)
    app.cli.add_command(identities_group)
    app.cli.add_command(credit_group)
    app.cli.add_command(policy_group)
    app.cli.add_command(programs_group)
    app.cli.add_command(cohorts_group)
    app.cli.add_command(webhooks_group)
    app.cli.add_command(deliver_command)
    app.cli.add_command(users_group)
    app.cli.add_command(audit_group)


def _create_app_for_cli() -> Flask:
    from lms_bridge.app import create_app  # noqa: PLC0415 (app.py imports this module)

    return create_app()


main = OneLineErrorsGroup(
    name="lms-bridge",
    help="lms_bridge: xAPI LRS and JP ledger.",
    create_app=_create_app_for_cli,
    add_default_commands=True,
    add_version_option=False,
    load_dotenv=False,
)
