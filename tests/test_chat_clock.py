"""``repairbot chat --now``: the conversation runs at the given moment (contract)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = "我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678"
ADDRESS = "建设路12号4栋201"  # the bot asks for the street address after the county


def _chat(db_url: str, tmp_path: Path, user: str, now: str, lines: list[str]) -> list[dict]:
    env = {**os.environ, "DATABASE_URL": db_url, "REPAIRBOT_DATA": str(tmp_path / "data"), "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--user", user, "--now", now],
        input="".join(line + "\n" for line in lines), capture_output=True, cwd=ROOT, env=env, text=True,
        encoding="utf-8", timeout=180,
    )
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_now_fixes_the_clock_for_offers_and_booking(store, db_url, tmp_path):
    # Monday 10:00: the local technician (30 min away) can come at 13:00 the same day.
    _, first, booked = _chat(db_url, tmp_path, "clock-1", "2026-11-23T10:00:00+08:00", [REPORT, ADDRESS, "1"])
    assert first["replies"][0]["buttons"][0]["label"].startswith("11月23日（周一） 13:00-15:00")
    assert booked["ticket"]["status"] == "booked"
    assert booked["ticket"]["slot"]["start"] == "2026-11-23T13:00:00+08:00"
    # The evening before the 国庆 holiday week of 2026: the first window is after the holiday.
    _, late = _chat(db_url, tmp_path, "clock-2", "2026-09-30T20:00", [REPORT, ADDRESS])  # no offset: config timezone
    assert late["replies"][0]["buttons"][0]["label"].startswith("10月8日（周四） 08:00-10:00")


def test_a_bad_now_is_a_usage_error(store, db_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url, "REPAIRBOT_DATA": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-m", "bot", "chat", "--json", "--now", "yesterday"], input="",
                         capture_output=True, cwd=ROOT, env=env, text=True, timeout=60)
    assert out.returncode == 2 and "not an ISO 8601 date-time" in out.stderr
