"""Optional Rasa server backend for intent and fault (``nlu.backend: rasa`` in config.yml).

Rasa runs as its own process (``make rasa``: Python 3.10, its own pins) and is reached over HTTP
(``POST /model/parse``). It must never slow the bot down or take it down:

- a daemon thread polls ``GET /status`` and marks the server ready once a model is loaded; until
  then, and after any error or timeout, :meth:`RasaBackend.classify` returns ``None`` at once and the
  caller uses the in-process engine;
- every request has the configured timeout (kept under a second);
- a reading below ``min_confidence`` is not used (DIET is sure of itself on text it never saw: it read
  "你是谁开发的" as report_fault at 1.0, so the threshold catches the unsure cases, not all of them);
- which engine answers is logged visibly: a warning the first time the fallback answers while the server
  is down, and once more each time the server comes back or goes away (never once per message).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import httpx

from nlu.types import FAULTS, INTENTS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RasaReading:
    """What the server said about one message."""

    intent: str
    confidence: float
    faults: tuple[str, ...]  # fault entity values, in text order


class RasaBackend:
    """Client of one Rasa server, with background readiness polling."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 0.8,
        token: str | None = None,
        poll_interval: float = 5.0,
        retry_interval: float = 2.0,
        min_confidence: float = 0.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = min(float(timeout), 0.99)
        self.min_confidence = float(min_confidence)
        self._fallback_announced = False
        # Bumped by every failed parse: a status check that began before the failure must not mark the
        # server ready again (its answer predates the failure).
        self._failures = 0
        self._params = {"token": token} if token else {}
        self._poll_interval = poll_interval
        self._retry_interval = retry_interval
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(base_url=self.url, timeout=self.timeout)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        """Whether the last status check found a loaded model."""
        return self._ready.is_set()

    def start(self) -> None:
        """Start the status poller (idempotent)."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._poll, name="rasa-status", daemon=True)
                self._thread.start()

    def close(self) -> None:
        """Stop polling and release the HTTP connections."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
        self._client.close()

    def check_status(self) -> bool:
        """Ask ``/status`` once; update and return readiness."""
        failures = self._failures
        try:
            with httpx.Client(base_url=self.url, timeout=self.timeout) as client:
                response = client.get("/status", params=self._params)
            ok = response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError, AttributeError):
            ok = False
        if ok and failures != self._failures:
            return False  # a parse failed while we asked: wait for the next check
        if ok and not self._ready.is_set():
            log.warning("Rasa server at %s is ready: it answers intent and fault", self.url)
            self._fallback_announced = False
        elif not ok and self._ready.is_set():
            log.warning("Rasa server at %s stopped answering: the in-process engine answers", self.url)
            self._fallback_announced = True
        if ok:
            self._ready.set()
        else:
            self._ready.clear()
        return ok

    def _poll(self) -> None:
        while not self._stop.is_set():
            ready = self.check_status()
            self._stop.wait(self._poll_interval if ready else self._retry_interval)

    def classify(self, text: str) -> RasaReading | None:
        """Intent and fault from the server, or ``None`` (not ready, timeout, error, odd answer)."""
        self.start()
        if not self._ready.is_set():
            if not self._fallback_announced:
                self._fallback_announced = True
                log.warning("Rasa server at %s is not ready: the in-process engine answers", self.url)
            return None
        try:
            response = self._client.post("/model/parse", json={"text": text}, params=self._params)
            response.raise_for_status()
            data = response.json()
            intent = data.get("intent") or {}
            name = intent.get("name")
            if name not in INTENTS:
                return None
            faults = [
                e.get("value")
                for e in data.get("entities") or ()
                if e.get("entity") == "fault" and e.get("value") in FAULTS
            ]
        except (httpx.HTTPError, ValueError, AttributeError, TypeError) as exc:
            # Mark not ready; the poller brings it back once /status answers again.
            log.warning("Rasa parse failed (%s); using the in-process engine", type(exc).__name__)
            self._failures += 1
            self._ready.clear()
            self._fallback_announced = True
            return None
        confidence = float(intent.get("confidence") or 0.0)
        if confidence < self.min_confidence:
            log.debug("Rasa intent %s at %.2f is below %.2f: the in-process engine answers", name, confidence,
                      self.min_confidence)
            return None
        return RasaReading(name, confidence, tuple(faults))
