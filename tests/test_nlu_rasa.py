"""The optional Rasa backend: fallback against a real (fake) HTTP server, and the real Rasa server.

The fallback tests run a small HTTP server on a loopback socket that is slow, failing or not ready,
so the client's real timeouts and error paths are exercised (no monkeypatching of httpx).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from nlu.defaults import default_settings
from nlu.engine import Engine, build_rasa_backend
from nlu.rasa_backend import RasaBackend
from nlu.settings import NluSettings


class FakeRasa(ThreadingHTTPServer):
    """Behaviour switches: ready (status), mode for /model/parse: ok | slow | error | garbage."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ready = True
        self.mode = "ok"
        self.parse_calls = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeRasa

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/status") and self.server.ready:
            self._send(200, b'{"model_file": "fake.tar.gz", "num_active_training_jobs": 0}')
        else:
            self._send(503, b"{}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        text = json.loads(self.rfile.read(length) or b"{}").get("text", "")
        self.server.parse_calls += 1
        mode = self.server.mode
        if mode == "slow":
            time.sleep(1.5)
        if mode == "error":
            self._send(500, b'{"error": "boom"}')
            return
        if mode == "garbage":
            self._send(200, b"not json at all")
            return
        if mode == "sure_of_nothing":
            answer = {"text": text, "intent": {"name": "report_fault", "confidence": 1.0}, "entities": []}
            self._send(200, json.dumps(answer).encode())
            return
        answer = {
            "text": text,
            "intent": {"name": "complaint", "confidence": 0.91},
            "entities": [
                {"entity": "fault", "value": "cannot_open"},
                {"entity": "fault", "value": "no_power"},
            ],
        }
        self._send(200, json.dumps(answer).encode())


@pytest.fixture
def fake_rasa() -> Iterator[FakeRasa]:
    server = FakeRasa()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _engine(backend: RasaBackend | None) -> Engine:
    return Engine(default_settings(), rasa=backend)


def _wait_ready(backend: RasaBackend, want: bool = True, limit: float = 5.0) -> None:
    deadline = time.monotonic() + limit
    while backend.ready is not want and time.monotonic() < deadline:
        time.sleep(0.02)
    assert backend.ready is want


def test_rasa_answer_is_used_when_ready(fake_rasa: FakeRasa) -> None:
    backend = RasaBackend(fake_rasa.url, timeout=0.5, poll_interval=0.05, retry_interval=0.05)
    try:
        backend.start()
        _wait_ready(backend)
        p = _engine(backend).parse("你好")
        # Intent from Rasa; of its two fault entities the more specific cause wins.
        assert (p.intent, p.fault) == ("complaint", "no_power")
        assert fake_rasa.parse_calls == 1
    finally:
        backend.close()


def test_not_ready_server_is_never_asked_to_parse(fake_rasa: FakeRasa) -> None:
    fake_rasa.ready = False
    backend = RasaBackend(fake_rasa.url, timeout=0.5, poll_interval=0.05, retry_interval=0.05)
    try:
        assert backend.check_status() is False
        p = _engine(backend).parse("我要投诉你们")
        assert p.intent == "complaint"  # from the in-process classifier
        assert fake_rasa.parse_calls == 0
    finally:
        backend.close()


@pytest.mark.parametrize("mode", ["slow", "error", "garbage"])
def test_falls_back_on_timeout_error_or_garbage(fake_rasa: FakeRasa, mode: str) -> None:
    fake_rasa.mode = mode
    backend = RasaBackend(fake_rasa.url, timeout=0.3, poll_interval=60, retry_interval=60)
    try:
        assert backend.check_status() is True
        started = time.monotonic()
        p = _engine(backend).parse("旗电佳门锁没电了")
        elapsed = time.monotonic() - started
        assert (p.intent, p.fault, p.brand) == ("report_fault", "no_power", "旗电佳")
        assert fake_rasa.parse_calls == 1
        assert elapsed < 1.4  # bounded by the client timeout, not by the slow server
        assert backend.ready is False  # marked down until /status answers again
        # While down, later messages do not wait on the server at all.
        _engine(backend).parse("谢谢")
        assert fake_rasa.parse_calls == 1
    finally:
        backend.close()


def test_poller_brings_the_backend_back(fake_rasa: FakeRasa) -> None:
    fake_rasa.ready = False
    backend = RasaBackend(fake_rasa.url, timeout=0.3, poll_interval=0.05, retry_interval=0.05)
    try:
        backend.start()
        time.sleep(0.15)
        assert backend.ready is False
        fake_rasa.ready = True
        _wait_ready(backend)
    finally:
        backend.close()


def test_nothing_listening_falls_back() -> None:
    backend = RasaBackend("http://127.0.0.1:9", timeout=0.2, poll_interval=60, retry_interval=60)
    try:
        assert backend.check_status() is False
        assert _engine(backend).parse("不修了，取消").intent == "cancel"
    finally:
        backend.close()


def test_backend_chosen_by_config_and_environment() -> None:
    assert build_rasa_backend(NluSettings.from_config({"nlu": {"backend": "default"}}, {})) is None
    env = {"REPAIRBOT_NLU_BACKEND": "rasa", "REPAIRBOT_RASA_URL": "http://127.0.0.1:9"}
    settings = NluSettings.from_config({"nlu": {"backend": "default", "rasa_timeout_s": 0.5}}, env)
    backend = build_rasa_backend(settings)
    try:
        assert backend is not None and backend.url == "http://127.0.0.1:9" and backend.timeout == 0.5
        assert backend.min_confidence == 0.6  # the default threshold
    finally:
        backend.close()


def _real_rasa_url() -> str:
    return default_settings().rasa_url


def _real_rasa_ready() -> bool:
    try:
        r = httpx.get(_real_rasa_url() + "/status", timeout=1.0)
        return r.status_code == 200 and bool(r.json().get("model_file"))
    except (httpx.HTTPError, ValueError):
        return False


@pytest.mark.rasa
def test_real_rasa_server() -> None:
    """Against `make rasa` (model trained from nlu/data); skipped when no server answers."""
    if not _real_rasa_ready():
        pytest.skip(f"no Rasa server with a model at {_real_rasa_url()}")
    backend = RasaBackend(_real_rasa_url(), timeout=0.9, poll_interval=60)
    try:
        assert backend.check_status() is True
        engine = _engine(backend)
        cases = {
            "我要投诉你们的师傅": "complaint",
            "帮我转人工客服": "ask_human",
            "丹斯提尼保险柜打不开了": "report_fault",
            "谢谢你们": "thanks",
        }
        for text, intent in cases.items():
            reading = backend.classify(text)
            assert reading is not None, text
            assert reading.intent == intent, (text, reading)
        p = engine.parse("旗电佳门锁没电了，周六上午来，电话13812345678")
        assert (p.intent, p.fault, p.brand, p.product, p.phone) == (
            "report_fault", "no_power", "旗电佳", "lock", "13812345678"
        )
        assert p.when is not None
    finally:
        backend.close()


def test_cli_uses_the_rasa_backend_from_the_environment(fake_rasa: FakeRasa) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("repairbot")
    if not exe.exists():
        pytest.skip("console script not installed in this environment")
    env = {**os.environ, "REPAIRBOT_NLU_BACKEND": "rasa", "REPAIRBOT_RASA_URL": fake_rasa.url}
    proc = subprocess.run(
        [str(exe), "parse", "旗电佳门锁，电话13812345678"], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    obj = json.loads(proc.stdout)
    # Intent and fault from the (fake) server; brand and phone from the in-process extractors.
    assert (obj["intent"], obj["fault"], obj["brand"], obj["phone"]) == (
        "complaint", "no_power", "旗电佳", "13812345678"
    )


# --- backend hygiene: threshold, visible fallback, the server script ---------------------------------

def test_a_reading_below_the_confidence_threshold_falls_back(fake_rasa: FakeRasa) -> None:
    backend = RasaBackend(fake_rasa.url, timeout=0.5, poll_interval=60, retry_interval=60, min_confidence=0.95)
    try:
        assert backend.check_status() is True
        p = _engine(backend).parse("我要投诉你们")
        assert fake_rasa.parse_calls == 1  # asked, but 0.91 < 0.95: the in-process reading answers
        assert (p.intent, p.fault) == ("complaint", None)
        assert backend.ready is True  # a low confidence is not a failure
    finally:
        backend.close()


def test_the_fallback_is_logged_once_and_visibly(caplog: pytest.LogCaptureFixture) -> None:
    backend = RasaBackend("http://127.0.0.1:9", timeout=0.2, poll_interval=60, retry_interval=60)
    try:
        with caplog.at_level("WARNING", logger="nlu.rasa_backend"):
            for text in ("你好", "谢谢", "保险柜打不开"):
                _engine(backend).parse(text)
        warnings = [r for r in caplog.records if r.levelname == "WARNING" and "not ready" in r.getMessage()]
        assert len(warnings) == 1
        assert "in-process engine answers" in warnings[0].getMessage()
    finally:
        backend.close()


def test_choosing_rasa_is_logged_when_the_engine_is_built(caplog: pytest.LogCaptureFixture) -> None:
    from nlu.engine import build_engine

    settings = NluSettings.from_config({"nlu": {"backend": "rasa", "rasa_url": "http://127.0.0.1:9"}})
    with caplog.at_level("WARNING", logger="nlu.engine"):
        engine = build_engine(settings)
    try:
        assert any("NLU backend: Rasa server at http://127.0.0.1:9" in r.getMessage() for r in caplog.records)
    finally:
        engine.rasa.close()


def test_rasa_script_refuses_a_taken_port() -> None:
    import os
    import socket
    import subprocess
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "rasa.sh"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "RASA_PORT": str(port)}
        for command in ("all", "serve", "start"):
            out = subprocess.run(["bash", str(script), command], capture_output=True, text=True, env=env, timeout=30)
            assert out.returncode == 1, (command, out.stderr)
            assert f"port {port}" in out.stderr and "already taken" in out.stderr


def test_rasa_script_turns_telemetry_off() -> None:
    from pathlib import Path

    script = (Path(__file__).resolve().parent.parent / "scripts" / "rasa.sh").read_text(encoding="utf-8")
    assert "export RASA_TELEMETRY_ENABLED=false" in script


def test_a_sure_fault_report_that_names_nothing_to_repair_is_not_taken(fake_rasa: FakeRasa) -> None:
    fake_rasa.mode = "sure_of_nothing"
    backend = RasaBackend(fake_rasa.url, timeout=0.5, poll_interval=60, retry_interval=60)
    try:
        assert backend.check_status() is True
        assert _engine(backend).parse("你是谁开发的").intent == "out_of_scope"
        # With something to repair in the message, Rasa's reading stands.
        assert _engine(backend).parse("保险柜怎么弄").intent == "report_fault"
        assert fake_rasa.parse_calls == 2
    finally:
        backend.close()
