"""Per-field floors on the fresh NLU sets (tests/data/nlu_fresh_*.jsonl, written 2026-12-03).

The dev half is looked at to find general fixes; the locked half is only measured (tests/data/README.md).
Scored with the held-out rules of ``bench.heldout``; ``pytest -s`` prints the scores.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.heldout import load, score
from nlu import parse

DATA = Path(__file__).resolve().parent / "data"
# Floors a little below the measured accuracy (per field, and all fields of a message right).
FLOORS = {
    "nlu_fresh_dev.jsonl": {"all_fields": 0.95, "brand": 0.98, "product": 0.98, "fault": 0.96, "place": 0.97,
                            "phone": 0.98, "address": 0.98, "urgent": 0.98},
    "nlu_fresh_locked.jsonl": {"all_fields": 0.89, "brand": 0.98, "product": 0.98, "fault": 0.90, "place": 0.97,
                               "phone": 0.98, "address": 0.98, "urgent": 0.97},
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_fresh_nlu_floors(name: str) -> None:
    cases = load(DATA / name)
    assert len(cases) >= 140
    result = score(cases, parse)
    result.pop("failures")
    print(f"\n== {name}\n{json.dumps(result, ensure_ascii=False)}")
    for key, floor in FLOORS[name].items():
        got = result["all_fields"] if key == "all_fields" else result["fields"][key]
        assert got >= floor, (key, got, result)
