"""Scopes of the JSON API under ``/api/v1`` (credit reports, the directory, auditors' decisions).

The xAPI scopes (``xapi.scopes``) are the specification's vocabulary and stay as the spec
names them; these are lms_bridge's own, granted to the same HTTP Basic clients, so one client
row can carry both (an LMS that sends statements and reads its learners' credit). The xAPI
``all`` scope grants these too: a client that may do everything may do this.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from xapi import scopes as xapi_scopes

CREDIT_READ: Final = "credit/read"
"""Read a person's credit, an agency's summary and the pending entries (BI, the LMS)."""
PEOPLE_WRITE: Final = "people/write"
"""Keep the ASN directory and the LMS identity mappings."""
CREDIT_AUDIT: Final = "credit/audit"
"""Verify, reject and correct credit entries (a BPSDM auditor's tool)."""

METRICS: Final = "metrics"
"""Read the Prometheus metrics at /metrics (a scraper's credentials; nothing personal)."""

KNOWN: Final = frozenset({CREDIT_READ, PEOPLE_WRITE, CREDIT_AUDIT, METRICS})

IMPLIED: Final[dict[str, frozenset[str]]] = {
    # An auditor cannot decide on entries they may not read.
    CREDIT_READ: frozenset({CREDIT_AUDIT}),
}
"""For a needed scope, the other scopes that grant it as well."""


def allows(granted: frozenset[str], needed: Iterable[str]) -> bool:
    """Whether a client with ``granted`` scopes holds any one of the ``needed`` scopes."""
    if xapi_scopes.ALL in granted:
        return True
    return any(
        scope in granted or bool(granted & IMPLIED.get(scope, frozenset())) for scope in needed
    )
