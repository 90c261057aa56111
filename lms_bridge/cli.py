"""``lms-bridge …`` (and ``flask …``) commands: database, LMS clients, the demo client."""

from __future__ import annotations

import json
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from lms_bridge.access import ClientError, create_client, list_clients, revoke_client
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import Client
from xapi import scopes as xapi_scopes

MIGRATIONS = Path(__file__).parent / "migrations"
DEMO_CLIENT_NAME = "demo"


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations shipped inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade_database(revision: str = "head") -> None:
    """Migrate the application's database (inside an app context)."""
    config = alembic_config()
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
    type=click.Choice(sorted(xapi_scopes.KNOWN)),
    help="An xAPI scope; repeat for several. Default: statements/write statements/read/mine.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_appcontext
def clients_create(
    name: str, key: str | None, secret: str | None, scope_list: tuple[str, ...], as_json: bool
) -> None:
    """Create a client and print its key and secret (the secret is shown only now)."""
    try:
        created = create_client(name, key=key, secret=secret, scopes=scope_list)
    except ClientError as error:
        raise click.ClickException(str(error)) from error
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
    for client in list_clients():
        state = f"revoked {client.revoked_at:%Y-%m-%d %H:%M}" if client.revoked_at else "active"
        click.echo(f"{client.key}\t{client.name}\t{' '.join(client.scopes)}\t{state}")


@clients_group.command("revoke")
@click.argument("key")
@with_appcontext
def clients_revoke(key: str) -> None:
    """Revoke the client with KEY: its next request is refused."""
    try:
        revoke_client(key)
    except ClientError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"revoked {key}")


@clients_group.command("demo")
@click.option("--url", default="http://127.0.0.1:8000/xapi", help="Endpoint to print.")
@with_appcontext
def clients_demo(url: str) -> None:
    """(Re)create the demo client with a fresh secret and print how to use it.

    Secrets are stored hashed, so the only way to show working demo credentials on every
    start is to issue new ones; the previous demo secret stops working.
    """
    with unit_of_work() as session:
        session.query(Client).filter(Client.key == DEMO_CLIENT_NAME).delete()
    created = create_client(DEMO_CLIENT_NAME, key=DEMO_CLIENT_NAME, scopes=[xapi_scopes.ALL])
    click.echo("")
    click.echo(f"  xAPI endpoint: {url}")
    click.echo(f"  demo client:   key {created.key}  secret {created.secret}  (scope: all)")
    click.echo(
        f"  try: curl -u {created.key}:{created.secret} -H 'X-Experience-API-Version: 1.0.3' "
        f"{url}/statements"
    )
    click.echo("")


def register_commands(app: Flask) -> None:
    """Attach the command groups to the app (``flask db upgrade`` works too)."""
    app.cli.add_command(db_group)
    app.cli.add_command(clients_group)


def _create_app_for_cli() -> Flask:
    from lms_bridge.app import create_app  # noqa: PLC0415 (app.py imports this module)

    return create_app()


main = FlaskGroup(
    name="lms-bridge",
    help="lms_bridge: xAPI LRS and JP ledger.",
    create_app=_create_app_for_cli,
    add_default_commands=True,
    add_version_option=False,
    load_dotenv=False,
)
