"""Score the NLU on a hand-labelled held-out set, per field, all fields and per family.

    .venv/bin/python -m bench.heldout [tests/data/heldout_2026-12-03.jsonl] [--show N]

The set is never used for training or for writing rules (see tests/data/README.md); this script only
reads it. Each line carries ``text``, ``family`` and the expected fields; a field absent from a line is
not scored for it. Place and fault follow ../shared/eval/score_nlu.py (``"AMBIG"`` = no place and at least
two candidates; an expected fault of ``null`` accepts ``null`` or ``"other"``); ``address`` compares the
text without spaces; ``safety`` is the internal ``Parse.safety``.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.nlu_bench import _place_ok

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT / "tests" / "data" / "heldout_2026-12-03.jsonl"
FIELDS = ("intent", "brand", "product", "fault", "place", "phone", "address", "urgent", "safety")


def _squash(value: str | None) -> str | None:
    return None if value is None else "".join(value.split()).strip("，,。.")


def field_ok(name: str, expected: Any, parse: Any) -> bool:
    """Whether one field of a ``nlu.Parse`` matches the label (the rules in the module docstring)."""
    got = parse.to_json()
    if name == "place":
        return _place_ok(expected, got["place"], got["place_candidates"])
    if name == "fault":
        return got["fault"] in (None, "other") if expected is None else got["fault"] == expected
    if name == "address":
        return _squash(got["address"]) == _squash(expected)
    if name == "safety":
        return parse.safety == expected
    return got[name] == expected


def load(path: Path) -> list[dict[str, Any]]:
    """The labelled cases of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(cases: list[dict[str, Any]], parse: Callable[[str], Any]) -> dict[str, Any]:
    """Accuracy per field, over all fields, and all-fields per family, plus the failing cases."""
    per_field: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_family: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in cases:
        result = parse(case["text"])
        wrong = []
        for name in FIELDS:
            if name not in case:
                continue
            ok = field_ok(name, case[name], result)
            per_field[name][0] += ok
            per_field[name][1] += 1
            if not ok:
                wrong.append(name)
        family = per_family[case.get("family", "-")]
        family[0] += not wrong
        family[1] += 1
        if wrong:
            failures.append((case, result, wrong))
    n = len(cases)
    return {
        "cases": n,
        "fields": {k: round(v[0] / v[1], 3) for k, v in per_field.items()},
        "all_fields": round((n - len(failures)) / n, 3) if n else 0.0,
        "families": {k: round(v[0] / v[1], 3) for k, v in sorted(per_family.items())},
        "failures": failures,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT_SET))
    ap.add_argument("--show", type=int, default=0, help="print this many failing cases")
    args = ap.parse_args()
    import bot  # noqa: F401  (registers the config's NLU settings, as the running bot does)
    from nlu import parse

    report = score(load(Path(args.path)), parse)
    for case, result, wrong in report.pop("failures")[: args.show]:
        got = {k: v for k, v in result.to_json().items() if k in wrong}
        if "safety" in wrong:
            got["safety"] = result.safety
        print(f"- [{case.get('family')}] {case['text']}\n    wrong {wrong}: got {got}", flush=True)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
