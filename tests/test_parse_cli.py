"""The ``repairbot parse`` contract: one JSON object per message, exact keys and types."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

KEYS = {
    "text", "intent", "brand", "brand_supported", "product", "fault", "place", "place_candidates",
    "phone", "phone_invalid", "when", "address", "urgent",
}
PLACE_KEYS = {"adcode", "province", "city", "county", "town"}
NOW = "2026-11-23T10:00:00+08:00"


def _check_contract(obj: dict) -> None:
    assert set(obj) == KEYS
    assert isinstance(obj["text"], str)
    assert isinstance(obj["intent"], str)
    for key in ("brand", "product", "fault", "phone"):
        assert obj[key] is None or isinstance(obj[key], str)
    assert obj["brand_supported"] in (True, False, None)
    assert isinstance(obj["phone_invalid"], bool)
    assert isinstance(obj["urgent"], bool)
    assert obj["address"] is None or isinstance(obj["address"], str)
    assert isinstance(obj["place_candidates"], list)
    for place in [obj["place"], *obj["place_candidates"]]:
        if place is not None:
            assert set(place) == PLACE_KEYS
            assert len(place["adcode"]) == 6 and place["adcode"].isdigit()
    if obj["when"] is not None:
        assert set(obj["when"]) == {"asap", "start", "end"}
        assert isinstance(obj["when"]["asap"], bool)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:
    assert main(["parse", *argv]) == 0
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def test_single_message_prints_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    [obj] = _run(capsys, "--now", NOW, "丹斯提尼保险柜密码忘了，明天下午来，电话138 1234 5678")
    _check_contract(obj)
    assert obj["intent"] == "report_fault"
    assert (obj["brand"], obj["brand_supported"], obj["product"], obj["fault"]) == (
        "丹斯提尼", True, "safe", "forgot_password"
    )
    assert obj["phone"] == "13812345678" and obj["phone_invalid"] is False
    assert obj["when"] == {"asap": False, "start": "2026-11-24T12:00:00+08:00", "end": "2026-11-24T18:00:00+08:00"}


def test_output_is_not_ascii_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    main(["parse", "你好"])
    out = capsys.readouterr().out
    assert "你好" in out and "\\u" not in out


def test_expecting_option(capsys: pytest.CaptureFixture[str]) -> None:
    [obj] = _run(capsys, "--expecting", "phone", "12345")
    assert (obj["phone"], obj["phone_invalid"]) == (None, True)


def test_jsonl_file_one_object_per_line_and_bad_lines_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps({"text": "旗电佳门锁没电了"}, ensure_ascii=False),
        "{not json",
        json.dumps({"no_text": 1}),
        "",
        json.dumps({"text": "明晚可以"}, ensure_ascii=False),
        json.dumps({"text": "13812345678", "expecting": "phone"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    objs = _run(capsys, "--jsonl", str(path), "--now", NOW)
    assert len(objs) == 5  # the blank line is skipped
    _check_contract(objs[0])
    assert (objs[0]["brand"], objs[0]["product"], objs[0]["fault"]) == ("旗电佳", "lock", "no_power")
    assert objs[1]["line"] == 2 and "invalid JSON" in objs[1]["error"]
    assert objs[2]["line"] == 3 and "error" in objs[2]
    assert objs[3]["when"]["start"] == "2026-11-24T18:00:00+08:00"
    assert objs[4]["phone"] == "13812345678"


def test_bad_now_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["parse", "--now", "yesterday", "你好"])
    assert exc.value.code == 2


@pytest.mark.parametrize(
    "text",
    [
        "保" * 200_000,
        "😀🔒💥 保险柜打不开 🙏",
        "\x00\x01\x1b[31m门锁\x7f没电\u200b了\ufeff",
        "\ud800broken surrogate",
        "   ",
        "١٢٣ ＡＢＣ ｱｲｳ",
    ],
)
def test_robust_to_odd_input(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    [obj] = _run(capsys, text)
    _check_contract(obj)
    assert obj["text"] == text.encode("utf-8", "replace").decode("utf-8") or obj["text"] == text


def test_control_characters_do_not_hide_words(capsys: pytest.CaptureFixture[str]) -> None:
    [obj] = _run(capsys, "门锁\x00没电\u200b了")
    assert (obj["product"], obj["fault"]) == ("lock", "no_power")


def test_console_script_reads_stdin_jsonl() -> None:
    """End to end through the installed console script, as the outside scorer calls it."""
    exe = Path(sys.executable).with_name("repairbot")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    stdin = "\n".join([*(json.dumps({"text": t}, ensure_ascii=False) for t in ["你好", "指纹锁报警"]), "[1,2]"])
    proc = subprocess.run(
        [str(exe), "parse", "--jsonl", "-"], input=stdin, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert proc.returncode == 0, proc.stderr
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o.get("intent") for o in objs[:2]] == ["greet", "report_fault"]
    assert objs[1]["fault"] == "alarm" and "error" in objs[2]
