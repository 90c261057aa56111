"""The validator's emitter checks (tests/xapi/test_schemas.py) on the full corpus."""

from __future__ import annotations

from tests.corpus.conftest import CORPUS, openedx_files_breaking_a_rule
from tests.xapi.test_schemas import (
    BARE_UUID_GROUPING,
    GROUP_ACTIVITY,
    UNNAMED_ACTIVITY,
    EmitterOutputValidation,
)

CORPUS_QUIRKS = openedx_files_breaking_a_rule(GROUP_ACTIVITY, UNNAMED_ACTIVITY, BARE_UUID_GROUPING)


class TestCorpusValidation(EmitterOutputValidation):
    files = CORPUS
    quirks = CORPUS_QUIRKS
    minimum_files = 350
