"""Property tests: every registered chunker keeps the invariants of docs/architecture.md on arbitrary text."""

from __future__ import annotations

import pytest
from chunker_cases import CASES, Case
from hypothesis import HealthCheck, given, settings
from invariants import assert_invariants


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_offsets_tiling_and_budget_hold(case: Case) -> None:
    chunker = case.make()

    @settings(max_examples=case.max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case.texts)
    def check(text: str) -> None:
        assert_invariants(chunker, text, chunker.chunk(text), tiling=case.tiling)

    check()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_deterministic(case: Case) -> None:
    text = "First sentence here. Second one follows!\n\nA new paragraph, with a clause; and more. " * 5
    assert case.make().chunk(text) == case.make().chunk(text)
