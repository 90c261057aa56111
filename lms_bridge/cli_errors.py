"""Bad input to a ``lms-bridge`` command ends in one line, never a traceback.

The people who run these commands are BPSDM operators with a spreadsheet and a policy file,
not developers: a wrong column, a YAML slip or a setting that does not parse must come back
as one line that says what and where (file, line, rule id), in Bahasa Indonesia first with
English in parentheses, and a non-zero exit. The command group below is the one place that
turns the project's domain errors into that line, so commands raise them and need no
try/except of their own. Anything not listed here is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from alembic.util import CommandError
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError

from lms_bridge.access.clients import ClientError
from lms_bridge.credit.explain import StatementFileError
from lms_bridge.credit.policy import PolicyError
from lms_bridge.data_files import DataFileError
from lms_bridge.people.records import RecordsRejected, listed_problems
from lms_bridge.programs.errors import ProgramError
from lms_bridge.programs.template import TemplateError
from lms_bridge.settings import SettingsError

UNDEFINED_TABLE = "42P01"
"""PostgreSQL's SQLSTATE for a missing table: the database was never migrated."""

DOMAIN_ERRORS: tuple[type[Exception], ...] = (
    DataFileError,
    SettingsError,
    RecordsRejected,
    ProgramError,
    ClientError,
    StatementFileError,
    UnicodeDecodeError,
    OSError,
    ArgumentError,
    OperationalError,
    ProgrammingError,
    CommandError,
)


DATA_FILE_KINDS: dict[type[DataFileError], str] = {
    PolicyError: "kebijakan tidak sah (invalid policy)",
    TemplateError: "templat tidak sah (invalid template)",
}

CAUGHT: tuple[type[Exception], ...] = (click.UsageError, *DOMAIN_ERRORS)


class OneLineError(click.ClickException):
    """A ClickException whose message is guaranteed to be a single line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class OneLineUsageError(OneLineError):
    """A command line click refused (exit code 2, as click's own usage errors)."""

    exit_code = 2


def rejection(path: Path, error: RecordsRejected) -> OneLineError:
    """A CSV file refused whole: its name, the count, and each line and column with the reason."""
    count = len(error.problems)
    return OneLineError(
        f"{path.name} ditolak: {count} masalah, tidak ada yang disimpan (file rejected: "
        f"{count} problem(s), nothing was stored): {error.listed()}"
    )


def describe(error: Exception) -> str | None:
    """The one line for a domain error, or None for an error that is a bug."""
    if isinstance(error, DataFileError):
        kind = DATA_FILE_KINDS.get(type(error), "berkas tidak sah (invalid file)")
        return f"{kind}: {error.source}: {listed_problems(error.problems)}"
    if isinstance(error, RecordsRejected):
        return f"{error}: {error.listed()}"
    if isinstance(error, UnicodeDecodeError):
        return f"berkas harus ber-encoding UTF-8 (a file must be UTF-8): {error.reason}"
    if isinstance(error, OSError):
        name = error.filename if error.filename is not None else "berkas (file)"
        reason = error.strerror or str(error)
        return f"{name}: tidak dapat dibaca atau ditulis (cannot be read or written): {reason}"
    if isinstance(error, ArgumentError):
        if not isinstance(error, NoSuchModuleError) and "URL" not in str(error):
            return None  # an argument the code got wrong: a bug
        return (
            f"LMS_BRIDGE_DATABASE_URL tidak dapat dipakai (cannot be used): {error}; "
            "contoh (e.g.) sqlite:///instance/lms_bridge.db, postgresql://user@host/db"
        )
    if isinstance(error, CommandError):
        return f"migrasi tidak dapat dijalankan (cannot migrate): {error}"
    if isinstance(error, OperationalError | ProgrammingError):
        return _database_line(error)
    return str(error) if isinstance(error, DOMAIN_ERRORS) else None


def _database_line(error: OperationalError | ProgrammingError) -> str | None:
    original = error.orig
    missing_table = "no such table" in str(original) or (
        getattr(original, "sqlstate", None) == UNDEFINED_TABLE
    )
    if isinstance(error, ProgrammingError) and not missing_table:
        return None  # a query the code got wrong: a bug, with its traceback
    reason = str(original).strip().splitlines()[0] if str(original).strip() else type(original)
    if missing_table:
        return (
            f"basis data belum disiapkan; jalankan 'lms-bridge db upgrade' (the database has "
            f"no schema yet; run 'lms-bridge db upgrade'): {reason}"
        )
    return (
        f"basis data tidak dapat dipakai; periksa LMS_BRIDGE_DATABASE_URL (the database "
        f"cannot be used; check LMS_BRIDGE_DATABASE_URL): {reason}"
    )


def _raise_one_line(error: Exception) -> None:
    """Raise ``error`` as a OneLineError when it is a domain error; return otherwise."""
    if isinstance(error, click.UsageError):
        hint = f"; lihat (see) '{error.ctx.command_path} --help'" if error.ctx else ""
        raise OneLineUsageError(
            f"perintah tidak sah (invalid command): {error.format_message().rstrip('.')}{hint}"
        ) from error
    if isinstance(error, click.ClickException):
        return
    line = describe(error)
    if line is not None:
        raise OneLineError(line) from error


class OneLineErrors(click.Group):
    """A command group whose domain errors are shown as one line.

    Errors surface while parsing the command line (``make_context``) and while loading the
    app and running the command (``invoke``: the app factory reads the settings and the
    policy).
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except CAUGHT as error:
            _raise_one_line(error)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CAUGHT as error:
            _raise_one_line(error)
            raise


class OneLineErrorsGroup(OneLineErrors, FlaskGroup):
    """``lms-bridge``: Flask's command group, with domain errors shown as one line.

    Listing the commands for ``--help`` loads the app too, and Flask would print the
    traceback of a bad setting or policy there.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except DOMAIN_ERRORS as error:
            _raise_one_line(error)
            raise
        return super().list_commands(ctx)


class OneLineErrorsAppGroup(OneLineErrors, AppGroup):
    """The app's own command group (``app.cli``: ``flask …`` and Flask's test runner)."""
