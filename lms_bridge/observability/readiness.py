"""Whether this process can serve: the database answers and its schema is the code's.

A load balancer (or Kubernetes, or systemd's watchdog) sends traffic only to an instance
that is ready. An instance started before ``lms-bridge db upgrade`` ran (or on a database
another version migrated) would answer with errors or, worse, write rows the schema does not
expect; so readiness compares the revision Alembic recorded with the newest the package
ships, as well as reaching the database.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from lms_bridge.db import unit_of_work

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    """Ready, or why not (``reason`` is a short code, ``detail`` says more)."""

    ready: bool
    reason: str = ""
    detail: str = ""


@cache
def head_revisions() -> frozenset[str]:
    """The newest revisions the package ships (read once: they change only with the code)."""
    from lms_bridge.cli import alembic_config  # noqa: PLC0415 (the CLI owns the config)

    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def readiness() -> Readiness:
    """Check the database and its migration state (inside an app context)."""
    try:
        with unit_of_work(writes=False) as session:
            current = frozenset(
                session.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
    except SQLAlchemyError as error:
        message = str(getattr(error, "orig", None) or error).splitlines()[0]
        if "alembic_version" in message:
            return Readiness(False, "not_migrated", "the database has no schema yet")
        logger.warning("not ready: the database did not answer: %s", message)
        # The address and the driver's words stay in the log: the probe is unauthenticated.
        return Readiness(False, "database_unreachable", "the database did not answer")
    heads = head_revisions()
    if current != heads:
        return Readiness(
            False,
            "migrations_pending",
            f"database at {', '.join(sorted(current)) or 'nothing'}, "
            f"code expects {', '.join(sorted(heads))} (run `lms-bridge db upgrade`)",
        )
    return Readiness(True)
