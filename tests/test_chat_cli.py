"""``repairbot chat``: JSON lines over piped stdin (one object per line, flushed at once) and the REPL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=db_url, REPAIRBOT_DATA=str(tmp_path / "data"), PYTHONIOENCODING="utf-8")
    return env


@pytest.fixture
def cli_db(store, db_url: str) -> str:
    """A migrated, empty database URL (the command itself loads the technicians)."""
    return db_url


def test_json_mode_answers_each_line_with_one_flushed_object(cli_db: str, tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "chat", "--json", "--user", "cli-1"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env=_env(cli_db, tmp_path), text=True, encoding="utf-8",
    )
    try:
        assert proc.stdin and proc.stdout
        # Line by line: the answer must arrive before the next line is written (flushed per line).
        proc.stdin.write("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678\n")
        proc.stdin.flush()
        first = json.loads(proc.stdout.readline())
        assert set(first) == {"replies", "ticket"}
        assert first["ticket"]["adcode"] == "410825" and first["ticket"]["phone_masked"] == "138****5678"
        assert "详细地址" in first["replies"][0]["text"] and first["replies"][0]["buttons"] == []
        proc.stdin.write("建设路12号4栋201\n")
        proc.stdin.flush()
        offered = json.loads(proc.stdout.readline())
        value = offered["replies"][0]["buttons"][0]["value"]
        proc.stdin.write(value + "\n")
        proc.stdin.flush()
        second = json.loads(proc.stdout.readline())
        assert second["ticket"]["status"] == "booked" and second["ticket"]["slot"]["technician"]
        proc.stdin.close()
        assert proc.stdout.read() == ""
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_piped_lines_give_exactly_one_json_object_each(cli_db: str, tmp_path: Path) -> None:
    lines = ["你好", "", "😀" * 3, "\udcff坏字节", "保险柜打不开了"]
    data = "\n".join(lines).encode("utf-8", "surrogateescape") + b"\n"  # one line carries an invalid byte
    out = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--user", "cli-2"], input=data,
        capture_output=True, cwd=ROOT, env=_env(cli_db, tmp_path), timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode()
    objects = [json.loads(line) for line in out.stdout.decode("utf-8").splitlines()]
    assert len(objects) == len(lines)
    assert objects[0]["ticket"] is None and objects[-1]["ticket"]["product"] == "safe"
    assert "没有收到文字内容" in objects[1]["replies"][0]["text"]


def test_same_user_continues_the_same_conversation_across_runs(cli_db: str, tmp_path: Path) -> None:
    def run(text: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "bot", "chat", "--json", "--user", "cli-3"], input=text + "\n",
            capture_output=True, cwd=ROOT, env=_env(cli_db, tmp_path), text=True, encoding="utf-8", timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    first = run("保险柜打不开了")
    second = run("丹斯提尼")
    assert second["ticket"]["id"] == first["ticket"]["id"] and second["ticket"]["brand"] == "丹斯提尼"


def test_interactive_numbers_pick_buttons() -> None:
    from bot.channels.terminal import TerminalChat
    from bot.messages import Button

    chat = TerminalChat(engine=None, user="x")  # type: ignore[arg-type]
    chat.buttons = [Button("丹斯提尼", "丹斯提尼"), Button("其他品牌", "其他品牌")]
    assert chat.resolve("2") == "其他品牌"
    assert chat.resolve("3") == "3" and chat.resolve("温县") == "温县"


def test_interactive_session_books_by_typing_button_numbers(store) -> None:
    """The REPL itself, over in-memory streams: numbered buttons, a number picks one, the ticket line."""
    import io

    from engine_helpers import make_engine

    from bot.channels.terminal import TerminalChat, run_interactive

    chat = TerminalChat(make_engine(store), "repl-1")
    stdin = io.StringIO("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678\n\n建设路12号4栋201\n1\n退出\n")
    stdout = io.StringIO()
    assert run_interactive(chat, stdin, stdout, "您好") == 0
    out = stdout.getvalue()
    assert out.startswith("机器人> 您好")
    assert "    [1] " in out and "    [4] 都不合适，换个时间" in out
    assert "预约成功" in out and "已预约" in out
    assert "13812345678" not in out


def test_piped_text_without_json_prints_a_readable_transcript(cli_db: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--user", "cli-4"], input="保险柜打不开了\n1\n",
        capture_output=True, cwd=ROOT, env=_env(cli_db, tmp_path), text=True, encoding="utf-8", timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("机器人> 您好")
    assert "你> 保险柜打不开了" in lines and "    [1] 丹斯提尼" in lines and "你> 1" in lines
    assert "哪个区县" in out.stdout  # "1" pressed the first button, 丹斯提尼


def test_a_failing_turn_logs_no_phone_number(cli_db: str, tmp_path: Path) -> None:
    """``repairbot chat`` masks phone numbers in its log, like ``serve``: tracebacks quote customer text."""
    # A wrapper script breaks the NLU in the child process before the real command starts.
    script = tmp_path / "broken_nlu_chat.py"
    script.write_text(
        "import sys, nlu.engine\n"
        "def parse(self, text, **kw):\n"
        "    raise RuntimeError('cannot read ' + text)\n"
        "nlu.engine.Engine.parse = parse\n"
        "from bot.cli import main\n"
        "sys.exit(main(['chat', '--json', '--user', 'cli-leak']))\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script)], input="我的电话13812345678\n".encode(), capture_output=True, cwd=ROOT,
        env=_env(cli_db, tmp_path), timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    stderr = out.stderr.decode("utf-8", "replace")
    assert "cannot read" in stderr and "138****5678" in stderr
    assert "13812345678" not in stderr
    assert "已经收到" in json.loads(out.stdout.decode("utf-8"))["replies"][0]["text"]
