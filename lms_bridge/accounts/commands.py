"""``lms-bridge users …``: people's accounts from the server's shell.

Registered by :func:`lms_bridge.cli.register_commands`. Errors are one line, Bahasa
Indonesia then English; a generated password is printed once and never stored in clear.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import with_appcontext

from lms_bridge.accounts import (
    ROLES,
    AccountError,
    IssuedPassword,
    assign_cohort,
    assign_participant,
    create_user,
    disable_user,
    list_users,
    reset_password,
)
from lms_bridge.settings import current_settings


def _operator() -> str:
    """Who ran the command, as the audit trail names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def _password_from(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(
            f"berkas kata sandi tidak terbaca: {path} (cannot read the password file)"
        ) from error
    return lines[0] if lines else ""


def _show(issued: IssuedPassword) -> None:
    if issued.generated:
        click.echo(f"kata sandi sekali pakai (one-time password): {issued.password}")
        click.echo(
            "Berikan secara pribadi; wajib diganti saat masuk pertama "
            "(hand it over privately; it must be changed at first sign-in)."
        )


password_file_option = click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Read the password from the first line of this file instead of generating one.",
)


@click.group("users", help="Akun orang untuk halaman web (people's accounts for the pages).")
def users_group() -> None:
    """Group for account commands."""


@users_group.command("create")
@click.option("--email", required=True, help="Sign-in email (unique).")
@click.option("--name", required=True, help="The person's name, as pages greet them.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What they may do.")
@click.option(
    "--agency", "agencies", multiple=True, help="An agency they see (repeat for several)."
)
@click.option("--nip", default=None, help="The person's NIP (single sign-on finds them by it).")
@password_file_option
@with_appcontext
def users_create(
    *,
    email: str,
    name: str,
    role: str,
    agencies: tuple[str, ...],
    nip: str | None,
    password_file: Path | None,
) -> None:
    """Create an account and print its one-time password (unless --password-file)."""
    try:
        issued = create_user(
            email,
            name,
            role,
            agencies,
            password=_password_from(password_file),
            nip=nip,
            actor=_operator(),
            hash_method=current_settings().secret_hash_method,
        )
    except AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"akun dibuat (account created): {issued.email} ({role})")
    _show(issued)


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List accounts (never their passwords)."""
    for line in list_users():
        state = "aktif (active)" if line.active else "nonaktif (disabled)"
        last = f"{line.last_signin_at:%Y-%m-%d %H:%M} UTC" if line.last_signin_at else "-"
        click.echo(
            f"{line.email}\t{line.name}\t{line.role}\t{','.join(line.agencies) or '-'}\t"
            f"{state}\tgagal={line.failed_signins}\tterakhir={last}"
        )


@users_group.command("disable")
@click.argument("email")
@click.option("--reason", default=None, help="Why (kept in the audit trail).")
@with_appcontext
def users_disable(email: str, reason: str | None) -> None:
    """Stop EMAIL from signing in; open sessions end at their next request."""
    try:
        disable_user(email, actor=_operator(), reason=reason)
    except AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"akun dinonaktifkan (account disabled): {email}")


@users_group.command("reset-password")
@click.argument("email")
@password_file_option
@with_appcontext
def users_reset_password(email: str, password_file: Path | None) -> None:
    """Give EMAIL a new password (one-time unless --password-file); re-enables the account."""
    try:
        issued = reset_password(
            email,
            actor=_operator(),
            password=_password_from(password_file),
            hash_method=current_settings().secret_hash_method,
        )
    except AccountError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"kata sandi diatur ulang (password reset): {issued.email}")
    _show(issued)


@users_group.command("assign")
@click.option("--email", required=True, help="The instructor's or coach's sign-in email.")
@click.option(
    "--cohort", "cohort_id", type=int, default=None, help="A cohort an instructor follows."
)
@click.option("--participant", "nip", default=None, help="A participant's NIP a coach follows.")
@with_appcontext
def users_assign(email: str, cohort_id: int | None, nip: str | None) -> None:
    """Let an instructor follow a cohort (--cohort) or a coach a participant (--participant)."""
    if (cohort_id is None) == (nip is None):
        raise click.ClickException(
            "sebutkan salah satu: --cohort atau --participant (give one of --cohort, --participant)"
        )
    try:
        if cohort_id is not None:
            fresh = assign_cohort(email, cohort_id, actor=_operator())
            what = f"angkatan (cohort) {cohort_id}"
        else:
            assert nip is not None
            fresh = assign_participant(email, nip, actor=_operator())
            what = f"peserta (participant) {nip}"
    except AccountError as error:
        raise click.ClickException(error.message) from error
    state = "ditugaskan (assigned)" if fresh else "sudah ditugaskan (already assigned)"
    click.echo(f"{email}: {what} {state}")
