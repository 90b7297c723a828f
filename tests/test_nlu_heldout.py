"""The floor on the hand-labelled held-out set (tests/data/heldout_2026-12-03.jsonl, never tuned on).

Its score is reported by ``python -m bench.heldout``; this test keeps it from sliding back.
"""

from __future__ import annotations

from bench.heldout import DEFAULT_SET, load, score
from nlu import parse


def test_heldout_floor() -> None:
    cases = load(DEFAULT_SET)
    assert len(cases) >= 250
    report = score(cases, parse)
    assert report["all_fields"] >= 0.95, report
    assert report["fields"]["fault"] >= 0.95, report
    assert min(report["families"].values()) >= 0.90, report
