"""The NLU benchmark's inputs and scoring rule (the timings themselves are measured, not asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from nlu import parse

# bench/ is a folder of scripts run with `python -m bench`, not an installed package.
_spec = importlib.util.spec_from_file_location(
    "nlu_bench", Path(__file__).resolve().parent.parent / "bench" / "nlu_bench.py"
)
nlu_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nlu_bench)
_place_ok, messages = nlu_bench._place_ok, nlu_bench.messages


def test_messages_are_deterministic_and_varied() -> None:
    texts = messages(300)
    assert texts == messages(300)
    assert len(set(texts)) > 200
    intents = {parse(t).intent for t in texts}
    assert {"report_fault", "greet", "ask_price", "cancel"} <= intents


def test_place_rule_matches_the_eval_script() -> None:
    wenxian = {"adcode": "410825", "province": "河南省", "city": "焦作市", "county": "温县", "town": None}
    assert _place_ok(wenxian, dict(wenxian), [])
    assert not _place_ok(wenxian, None, [])
    assert _place_ok("AMBIG", None, [wenxian, wenxian])
    assert not _place_ok("AMBIG", wenxian, [])
    assert _place_ok(None, None, [])
    town = {"adcode": "441900", "province": "广东省", "city": "东莞市", "county": None, "town": "长安镇"}
    assert _place_ok(town, {**town, "adcode": None}, [])
    assert not _place_ok(town, {**town, "town": "虎门镇"}, [])


def test_the_bench_reports_the_held_out_scores_beside_the_speed() -> None:
    report = nlu_bench.heldout_accuracy(parse)
    assert report["set"].startswith("heldout_") and report["cases"] >= 250
    assert 0 < report["fault"] <= 1
    ((family, lowest),) = report["lowest_family"].items()
    # All fields over the set is the families' scores weighted by size: the lowest cannot exceed it.
    assert family and 0 < lowest <= report["all_fields"] <= 1
