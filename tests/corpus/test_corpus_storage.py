"""The store's emitter checks (tests/blueprints/xapi/test_emitter_statements.py) on the full
corpus: every real statement accepted and read back exactly, on both databases."""

from __future__ import annotations

from tests.blueprints.xapi.test_emitter_statements import (
    BARE_UUID_GROUPING,
    GROUP_ACTIVITY,
    UNNAMED_ACTIVITY,
    EmitterOutputStorage,
)
from tests.corpus.conftest import CORPUS, openedx_files_breaking_a_rule

CORPUS_BREAKING_A_RULE = openedx_files_breaking_a_rule(
    GROUP_ACTIVITY, UNNAMED_ACTIVITY, BARE_UUID_GROUPING
)


class TestCorpusStorage(EmitterOutputStorage):
    files = CORPUS
    breaking_a_rule = CORPUS_BREAKING_A_RULE
    minimum_accepted = 300
