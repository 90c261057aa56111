"""Click parameter types for the numbers an operator types that reach a query.

Python integers have no bound and the database's do; a year of 10**20 would fail its query
with a traceback. Each option names its range, so a wrong value is click's one-line usage
error naming the option instead.
"""

from __future__ import annotations

import click

from lms_bridge.db import BIGINT_MAX, INTEGER_MAX

YEAR = click.IntRange(1970, 2999)
"""A calendar year of activities (the API accepts the same range)."""
ID = click.IntRange(1, BIGINT_MAX)
"""A row's id (cohorts, programs): 64-bit."""
SMALL_COUNT = click.IntRange(1, INTEGER_MAX)
"""A positive number kept in an ``Integer`` column (a cohort's number, a program version)."""
