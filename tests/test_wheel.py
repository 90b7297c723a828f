"""The package as a user installs it: build the wheel, install it into a fresh virtualenv, run it elsewhere.

Offline and quick: the wheel is built without build isolation (setuptools comes with the dev extras),
and the fresh venv gets only the wheel; its dependencies are the test environment's, reached through
a ``.pth`` line (so nothing is downloaded, and the project's own sources are not on the path: the
test environment's editable install is activated by a ``.pth`` file of its own site directory, which
a path line does not process). Commands run from an empty temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA_FILES = [
    "bot/default_config.yml", "bot/web/index.html", "bot/web/chat.js", "bot/web/chat.css",
    "bot/store/migrations/env.py", "bot/store/migrations/script.py.mako", "bot/store/migrations/versions/0001_initial.py",
    "dialogs/texts.yml", "nlu/data/nlu.yml", "nlu/data/traditional.tsv", "regions/data/divisions.tsv",
    "regions/data/towns.tsv", "regions/data/service_areas/丹斯提尼.yml",
]


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180, **kwargs)
    assert out.returncode == 0, f"{cmd[:3]}… failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}"
    return out


def _source_copy(dest: Path) -> Path:
    """The files git would ship (tracked and new, not ignored), so no stale build output leaks in."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout to know the project's files")
    names = _run(["git", "-C", str(REPO), "ls-files", "-z", "-co", "--exclude-standard"]).stdout.split("\0")
    for name in filter(None, names):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the freshly built wheel installed; returns its bin directory."""
    root = tmp_path_factory.mktemp("wheel")
    src = _source_copy(root / "src")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(root / "dist"), str(src)])
    [wheel] = (root / "dist").glob("repairbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [n for n in DATA_FILES if n not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert not any(n.startswith(("tests/", "bench/", "data/")) for n in names)

    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    bin_dir = venv / "bin"
    _run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install", "-q", "--no-deps",
          "--no-index", str(wheel)])
    purelib = _run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    Path(purelib.stdout.strip(), "test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return bin_dir


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "REPAIRBOT_CONFIG", "DATABASE_URL", "REPAIRBOT_DATA", "VIRTUAL_ENV")}
    env["HOME"] = str(tmp_path)
    return env


def test_installed_package_runs_from_another_directory(installed: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    where = _run([str(installed / "python"), "-c", "import bot, bot.config; print(bot.__file__); "
                  "print(bot.config.config_path())"], cwd=tmp_path, env=env).stdout.split()
    assert str(installed.parent) in where[0] and str(REPO) not in where[0]  # the installed copy, not the sources
    assert where[1].endswith("bot/default_config.yml")

    parsed = json.loads(_run([str(installed / "repairbot"), "parse", "我在焦作温县，丹斯提尼保险柜密码忘了"],
                             cwd=tmp_path, env=env).stdout)
    assert (parsed["brand"], parsed["fault"], parsed["place"]["adcode"]) == ("丹斯提尼", "forgot_password", "410825")

    chat = _run([str(installed / "repairbot"), "chat", "--json"], cwd=tmp_path, env=env,
                input="我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678\n")
    [turn] = [json.loads(line) for line in chat.stdout.splitlines()]
    assert turn["replies"] and turn["ticket"]["adcode"] == "410825" and turn["ticket"]["phone_masked"] == "138****5678"
    assert (tmp_path / "data" / "repairbot.sqlite3").exists() and (tmp_path / "data" / "secret.key").exists()


def test_installed_server_serves_the_page(installed: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(installed / "repairbot"), "serve", "--port", str(port), "--log-level", "warning"],
                              cwd=tmp_path, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline, page = time.monotonic() + 60, None
        while page is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    page = response.read().decode("utf-8")
            except OSError:
                time.sleep(0.2)
        assert page is not None, server.stderr.read().decode() if server.poll() is not None else "no answer in 60 s"
        assert "<html" in page.lower() and "chat.js" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/chat.js", timeout=5) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
