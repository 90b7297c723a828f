"""Helpers for tests with photo evidence: a customer sends a photo the way every channel hands it over."""

from __future__ import annotations

from pathlib import Path

from bot.attachments import photo_ref
from bot.engine import Engine
from bot.evidence import Accepted, EvidenceSettings, accept_photo
from bot.messages import InboundMessage
from bot.store.models import Evidence


def send_photo(engine: Engine, channel: str, chat_id: str, data: bytes, source: str) -> tuple[int, Path]:
    """Keep ``data`` through bot.evidence and send it on the chat (the engine's turn links it to the ticket).

    Returns the evidence id and the encrypted file's path.
    """
    settings = EvidenceSettings.from_config(engine.config)
    kept = accept_photo(engine.db, channel=channel, chat_id=chat_id, source_id=source, data=data,
                        settings=settings, now=engine.clock())
    assert isinstance(kept, Accepted)
    engine.process(InboundMessage(channel, chat_id, f"{source}-message", "", attachments=(photo_ref(kept.evidence_id),)))
    with engine.db.session(readonly=True) as s:
        row = s.get(Evidence, kept.evidence_id)
        assert row is not None and row.ticket_id is not None
        return row.id, settings.root / row.path
