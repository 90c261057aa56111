"""Services are handed their session, policy and settings; only entry points read the app's.

A service that reaches for ``db.session``, ``current_policy()``, ``current_settings()`` or
Flask's context globals works only inside an app, in whatever transaction happens to be open,
with whatever policy the process holds at that moment: it cannot be called from a chunked job
with a session of its own, nor tested with a policy of the test's. docs/architecture.md gives
the rule; this test keeps it, naming every offending line.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import lms_bridge

PACKAGE = Path(lms_bridge.__file__).resolve().parent

ENTRY_POINTS = (
    "app.py",  # the composition root: builds the app, its hooks and the CLI
    "cli.py",  # CLI commands read the app's policy and settings and hand them down
    "*/commands.py",  # each area's CLI commands, likewise
    "db.py",  # defines db and unit_of_work, which opens a use case's session
    "settings.py",  # defines current_settings
    "credit/__init__.py",  # defines current_policy and active_policy (and the rematch use cases)
    "credit/active_policy.py",  # behind current_policy: looks only while no session is open
    "ingest.py",  # record_statements: the statement use case, one batch's policy and settings
)
"""Modules (relative to lms_bridge/) allowed to read the app's session, policy and settings."""

APP_CONTEXT_NAMES = frozenset(
    {"active_policy", "current_policy", "current_settings", "current_app"}
)
"""Functions and proxies that read the running app, whichever module they are taken from."""

FLASK_CONTEXT_NAMES = frozenset({"current_app", "g", "request", "session"})
"""Flask's context globals: the app, the request's scratch space, the request, its cookie."""


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for every read of the app's session, policy, settings or request."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in APP_CONTEXT_NAMES or (
                    node.module == "flask" and alias.name in FLASK_CONTEXT_NAMES
                ):
                    found.append((node.lineno, f"imports {alias.name}"))
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted is not None and (dotted == "db.session" or dotted.endswith(".db.session")):
                found.append((node.lineno, "db.session"))
            elif node.attr in APP_CONTEXT_NAMES:
                found.append((node.lineno, dotted or node.attr))
            elif dotted in {f"flask.{name}" for name in FLASK_CONTEXT_NAMES}:
                found.append((node.lineno, dotted))
        elif (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id in APP_CONTEXT_NAMES
        ):
            found.append((node.lineno, node.id))
    return sorted(set(found))


def _is_entry_point(relative: str) -> bool:
    return any(fnmatch(relative, pattern) for pattern in ENTRY_POINTS)


def test_only_entry_points_read_the_apps_session_policy_and_settings() -> None:
    """Everything else takes them as arguments (docs/architecture.md)."""
    problems = [
        f"lms_bridge/{relative}:{line}: {what}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _is_entry_point(relative := path.relative_to(PACKAGE).as_posix())
        for line, what in offences(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "services must be handed these (docs/architecture.md):\n" + "\n".join(
        problems
    )


def test_every_form_of_reaching_for_the_app_is_found() -> None:
    """The check above is only as good as what it recognises."""
    source = "\n".join(
        [
            "from lms_bridge.db import db",  # 1: importing db is fine (models, unit_of_work)
            "from flask import current_app, g, request, session",  # 2
            "from lms_bridge.credit import current_policy",  # 3
            "import flask",  # 4
            "def f(session, policy):",  # 5: a service's own parameters are fine
            "    session.execute(1)",  # 6
            "    db.session.execute(1)",  # 7
            "    lms_bridge.db.db.session()",  # 8
            "    credit.current_policy().time_zone",  # 9
            "    current_settings().secret_key",  # 10
            "    flask.g.x, flask.request.args",  # 11
            "    active_policy().adopt(1, policy)",  # 12
            "    return policy.time_zone",  # 13
        ]
    )
    assert offences(source) == [
        (2, "imports current_app"),
        (2, "imports g"),
        (2, "imports request"),
        (2, "imports session"),
        (3, "imports current_policy"),
        (7, "db.session"),
        (8, "db.session"),
        (9, "credit.current_policy"),
        (10, "current_settings"),
        (11, "flask.g"),
        (11, "flask.request"),
        (12, "active_policy"),
    ]


def test_the_allowlist_names_only_modules_that_exist() -> None:
    """A module renamed or moved must not leave a stale exemption behind."""
    modules = [path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")]
    for pattern in ENTRY_POINTS:
        assert any(fnmatch(module, pattern) for module in modules), pattern
