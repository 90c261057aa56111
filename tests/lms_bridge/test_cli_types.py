"""Numbers typed at the CLI that reach a query are bounded: a usage error, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

TOO_BIG = str(2**64)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["credit", "recompute", "--year", TOO_BIG], "--year"),
        (["cohorts", "enroll", TOO_BIG, "{file}"], "COHORT_ID"),
        (["webhooks", "add", "--url", "https://x.example", "--cohort", TOO_BIG], "--cohort"),
        (
            "cohorts create --program latsar-cpns --year 2025 --name A --start 2025-01-01 "
            f"--end 2025-02-01 --organiser BPSDM --number {TOO_BIG}".split(),
            "--number",
        ),
        (["deliver", "--once", "--backoff", "1e308"], "--backoff"),
    ],
)
def test_an_out_of_range_number_is_a_usage_error_naming_the_option(
    app_context: Flask, tmp_path: Path, args: list[str], option: str
) -> None:
    participants = tmp_path / "peserta.csv"
    participants.write_text("nip\n198503302010121002\n")
    args = [participants.as_posix() if arg == "{file}" else arg for arg in args]
    result = app_context.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
