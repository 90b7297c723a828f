"""The fresh scripted conversations (tests/data/conversations_fresh_*.yml) through the real NLU, engine and
SQLite database, with a pass-rate floor a little below what the code achieves.

The dev set is the one fixes are checked on; the locked set is never tuned on (tests/data/README.md).
``pytest -s`` prints the report of each set.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conversation_runner import pass_rate, report, run_set

DATA = Path(__file__).resolve().parent / "data"
# Floors: slightly below the measured pass rate, so a regression fails while noise does not.
FLOORS = {"conversations_fresh_dev.yml": 0.90, "conversations_fresh_locked.yml": 0.80}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_fresh_conversation_floor(name: str, tmp_path) -> None:
    results = run_set(DATA / name, workdir=tmp_path)
    assert len(results) >= 25
    print(f"\n== {name}\n{report(results)}")
    assert pass_rate(results) >= FLOORS[name], report(results)
