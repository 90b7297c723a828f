"""The project base: console script and configuration."""

import subprocess
import sys

from bot.cli import build_parser
from bot.config import load_config


def test_console_script_lists_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "repairbot" in out.stdout


def test_unknown_command_fails() -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "no-such-command"], capture_output=True, text=True)
    assert out.returncode != 0


def test_config_has_served_brands_and_all_faults() -> None:
    cfg = load_config()
    served = {name for name, b in cfg["brands"].items() if b["supported"]}
    assert served == {"丹斯提尼", "旗电佳"}
    assert set(cfg["faults"]) == {
        "cannot_open", "forgot_password", "locked_out", "lost_key", "no_power", "fingerprint_fail",
        "alarm", "panel_damage", "mechanical", "install", "reset", "other",
    }
    assert build_parser().prog == "repairbot"
