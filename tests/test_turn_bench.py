"""The turn benchmark's report: median of the runs' p99, their spread and the target verdict (no timing)."""

from __future__ import annotations

from bench.turn_bench import _median_of_runs


def _run(p99: float, p50: float = 1.0) -> dict:
    return {"n": 9, "p50_ms": p50, "p99_ms": p99, "max_ms": p99, "turns_per_s": 1.0, "failed_turns": 0}


def test_median_run_spread_and_target() -> None:
    summary = _median_of_runs([_run(70.0, p50=3.0), _run(40.0, p50=2.0), _run(45.0, p50=2.5)], 50)
    assert summary["p99_ms"] == 45.0 and summary["p50_ms"] == 2.5  # the median run's figures
    assert summary["p99_runs_ms"] == [70.0, 40.0, 45.0]  # in the order they ran
    assert (summary["p99_min_ms"], summary["p99_max_ms"]) == (40.0, 70.0)
    assert summary["runs"] == 3 and summary["target_p99_ms"] == 50 and summary["meets_target"] is True


def test_no_target_no_verdict_and_failures_add_up() -> None:
    runs = [_run(80.0), {**_run(20.0), "failed_turns": 2}]
    summary = _median_of_runs(runs, None)
    assert "meets_target" not in summary and summary["failed_turns"] == 2
    assert summary["p99_ms"] == 50.0  # an even number of runs: the middle of the two
    assert _median_of_runs([_run(60.0)], 50)["meets_target"] is False
