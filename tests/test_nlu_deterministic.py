"""The same message reads the same in every process, whatever the hash seed (sets of names are ordered)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["济南市中区", "济南市中区保险柜打不开", "我在焦作温县，丹斯提尼保险柜密码忘了", "苏州吴中区指纹锁没电了",
         "鼓楼区的保险箱打不开了", "旗电佳保险柜子锁芯坏了"]
SCRIPT = (
    "import json, sys\n"
    "from datetime import datetime, timezone\n"
    "import bot\n"  # the config's NLU settings, as the running bot has them
    "from nlu import parse\n"
    "now = datetime(2026, 12, 3, 10, 0, tzinfo=timezone.utc)\n"
    "parses = [parse(t, now=now) for t in json.loads(sys.argv[1])]\n"
    "print(json.dumps([{**p.to_json(), 'confidence': round(p.intent_confidence, 6)} for p in parses],"
    " ensure_ascii=False, sort_keys=True))\n"
)


def _parse_with_seed(seed: str) -> list[dict]:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(TEXTS)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout)


def test_parse_does_not_depend_on_the_hash_seed() -> None:
    # Seed 11 once removed 市中区 before 济南市 from "济南市中区" (a set of equal-length names in hash order),
    # which left 济南 instead of 中区 to the intent reader: confidence 0.827 instead of 0.
    first = _parse_with_seed("0")
    assert first == _parse_with_seed("11") == _parse_with_seed("8")
