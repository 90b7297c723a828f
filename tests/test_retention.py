"""Retention (PIPL): what is erased and when, what survives, the dry run, the daily job and the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from telegram_helpers import scene

from bot import retention
from bot.cli import main
from bot.evidence import Accepted, EvidenceSettings, accept_photo
from bot.retention import RetentionPolicy, daily_maintenance, run_retention
from bot.store.models import AuditLog, Conversation, Evidence, Message, ProcessedMessage, SurveyAnswer, Ticket

NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def _chat(s, chat_id: str, *, messages_at: float, ticket: tuple[str, float] | None) -> int:
    """A conversation with two messages; ``ticket`` is (status, days since it last changed/closed)."""
    conv = Conversation(channel="web", chat_id=chat_id, state={"phone": "13812345678"},
                        created_at=days_ago(messages_at), updated_at=days_ago(messages_at),
                        last_message_at=days_ago(messages_at))
    s.add(conv)
    s.flush()
    s.add_all([Message(conversation_id=conv.id, direction=d, text=f"{chat_id} {d} 13812345678",
                       created_at=days_ago(messages_at)) for d in ("in", "out")])
    if ticket:
        status, changed = ticket
        t = Ticket(conversation_id=conv.id, status=status, brand="丹斯提尼", created_at=days_ago(messages_at),
                   updated_at=days_ago(changed), closed_at=days_ago(changed) if status in ("closed", "cancelled") else None)
        s.add(t)
        s.flush()
        s.add(SurveyAnswer(ticket_id=t.id, question="csat", score=5, comment=f"{chat_id} 师傅很好",
                           created_at=days_ago(changed)))
    return conv.id


@pytest.fixture
def chats(store) -> dict[str, int]:
    with store.session() as s:
        ids = {
            "closed_long_ago": _chat(s, "a", messages_at=210, ticket=("closed", 200)),
            "closed_recently": _chat(s, "b", messages_at=20, ticket=("closed", 10)),
            "old_but_in_progress": _chat(s, "c", messages_at=300, ticket=("booked", 5)),
            "abandoned_open": _chat(s, "d", messages_at=400, ticket=("collecting", 390)),
            "no_ticket_old": _chat(s, "e", messages_at=200, ticket=None),
            "no_ticket_new": _chat(s, "f", messages_at=3, ticket=None),
        }
        s.add_all([ProcessedMessage(channel="web", message_id="old", at=days_ago(31)),
                   ProcessedMessage(channel="web", message_id="new", at=days_ago(1))])
    return ids


def _texts(store) -> dict[int, list[str | None]]:
    with store.session(readonly=True) as s:
        out: dict[int, list[str | None]] = {}
        for conv_id, text in s.execute(select(Message.conversation_id, Message.text).order_by(Message.id)):
            out.setdefault(conv_id, []).append(text)
        return out


def test_dry_run_counts_and_changes_nothing(store, chats) -> None:
    before = _texts(store)
    with store.session(readonly=True) as s:
        report = run_retention(s, NOW, RetentionPolicy(), dry_run=True)
    assert report.counts == {"message_texts": 6, "survey_comments": 2, "dialog_state": 3, "photos": 0,
                             "processed_message_ids": 1}
    assert _texts(store) == before


def test_purge_erases_what_is_due_and_keeps_statistics(store, chats) -> None:
    with store.session() as s:
        report = run_retention(s, NOW, RetentionPolicy())
    assert report.counts["message_texts"] == 6 and report.total == 12
    texts = _texts(store)
    for gone in ("closed_long_ago", "abandoned_open", "no_ticket_old"):
        assert texts[chats[gone]] == [None, None]
    for kept in ("closed_recently", "old_but_in_progress", "no_ticket_new"):
        assert all(t and "13812345678" in t for t in texts[chats[kept]])
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Message)) == 12  # rows stay, marked erased
        assert s.scalar(select(func.count()).where(Message.erased.is_(True))) == 6
        assert s.scalar(select(func.count()).select_from(Ticket)) == 4
        assert sorted(s.scalars(select(SurveyAnswer.score))) == [5, 5, 5, 5]  # scores are statistics
        assert sorted(c or "" for c in s.scalars(select(SurveyAnswer.comment))) == ["", "", "b 师傅很好", "c 师傅很好"]
        states = {c.id: c.state for c in s.scalars(select(Conversation))}
        assert states[chats["closed_long_ago"]] == {} and states[chats["closed_recently"]] == {"phone": "13812345678"}
        assert s.scalars(select(ProcessedMessage.message_id)).all() == ["new"]
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "privacy.purge")).one()
        assert audit.detail["counts"] == report.counts and "13812345678" not in json.dumps(audit.detail)
    with store.session() as s:  # a second pass finds nothing left
        assert run_retention(s, NOW, RetentionPolicy()).total == 0


def test_a_shorter_policy_reaches_further(store, chats) -> None:
    with store.session(readonly=True) as s:
        report = run_retention(s, NOW, RetentionPolicy(message_days=7), dry_run=True)
    assert report.counts["message_texts"] == 8  # now the chat closed ten days ago goes too


def test_a_new_kind_plugs_in_with_one_registration(store, chats, monkeypatch) -> None:
    seen = []

    def attachments(session, window, dry_run) -> int:
        due = session.scalar(select(func.count()).select_from(window.expired_messages().subquery()))
        seen.append((dry_run, due))
        return due

    monkeypatch.setitem(retention._KINDS, "attachments", attachments)
    with store.session(readonly=True) as s:
        assert run_retention(s, NOW, RetentionPolicy(), dry_run=True).counts["attachments"] == 6
    assert seen == [(True, 6)]


def test_daily_maintenance_uses_the_config(store, chats) -> None:
    config = {"privacy": {"retention": {"message_days": 180, "processed_message_days": 30}}}
    report = daily_maintenance(store, NOW, config)
    assert report.counts["message_texts"] == 6 and not report.dry_run
    assert daily_maintenance(store, NOW, config).counts["message_texts"] == 0


@pytest.mark.parametrize(
    ("section", "error"),
    [({"message_days": 0}, "privacy.retention.message_days"), ({"message_days": "180"}, "message_days"),
     ({"processed_message_days": True}, "processed_message_days"), ({"photo_days": 3}, "unknown key")],
)
def test_policy_errors_name_the_key(section, error) -> None:
    with pytest.raises(ValueError, match=error):
        RetentionPolicy.from_config({"privacy": {"retention": section}})


def test_policy_defaults_and_the_shipped_config() -> None:
    from bot.config import load_config

    assert RetentionPolicy.from_config({}) == RetentionPolicy(180, 30)
    assert RetentionPolicy.from_config(load_config()).message_days == 180


def test_purge_cli(store, chats, capsys) -> None:
    assert main(["privacy", "purge", "--dry-run", "--url", store.url, "--now", NOW.isoformat()]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["dry_run"] is True and dry["counts"]["message_texts"] == 6
    assert main(["privacy", "purge", "--url", store.url, "--now", NOW.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["message_texts"] == 6
    assert main(["privacy", "purge", "--dry-run", "--url", store.url, "--now", NOW.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0


# -- photos -------------------------------------------------------------------------------------------
def _photo(store, chat_id: str, days: float, seed: int, *, link: bool = True) -> tuple[int, Path]:
    """A photo kept ``days`` ago in chat ``chat_id`` (linked to the chat and its ticket unless ``link`` is False)."""
    kept = accept_photo(store, channel="web", chat_id=chat_id, source_id=f"{chat_id}-{seed}", data=scene(seed),
                        settings=EvidenceSettings(), now=days_ago(days))
    assert isinstance(kept, Accepted)
    with store.session() as s:
        row = s.get(Evidence, kept.evidence_id)
        if link:
            conv = s.scalars(select(Conversation).where(Conversation.chat_id == chat_id)).one()
            row.conversation_id = conv.id
            row.ticket_id = s.scalar(select(Ticket.id).where(Ticket.conversation_id == conv.id))
        return row.id, EvidenceSettings().root / row.path


@pytest.fixture
def photos(store, chats) -> dict[str, tuple[int, Path]]:
    return {
        "closed_long_ago": _photo(store, "a", 205, 1),
        "closed_long_ago_unlinked": _photo(store, "a", 205, 2, link=False),
        "abandoned_open": _photo(store, "d", 395, 3),
        "no_ticket_old": _photo(store, "e", 200, 4),
        "chat_gone": _photo(store, "nobody-any-more", 300, 5, link=False),
        "closed_recently": _photo(store, "b", 20, 6),
        "old_but_in_progress": _photo(store, "c", 300, 7),
        "in_progress_unlinked": _photo(store, "c", 300, 8, link=False),
        "no_ticket_new": _photo(store, "f", 3, 9),
    }


_GONE = ("closed_long_ago", "closed_long_ago_unlinked", "abandoned_open", "no_ticket_old", "chat_gone")


def _photo_ids(store) -> set[int]:
    with store.session(readonly=True) as s:
        return set(s.scalars(select(Evidence.id)))


def test_photos_go_with_the_message_texts_files_included(store, chats, photos) -> None:
    with store.session(readonly=True) as s:
        assert run_retention(s, NOW, RetentionPolicy(), dry_run=True).counts["photos"] == len(_GONE)
    assert _photo_ids(store) == {ident for ident, _ in photos.values()} and all(p.exists() for _, p in photos.values())
    with store.session() as s:
        report = run_retention(s, NOW, RetentionPolicy())
    assert report.counts["photos"] == len(_GONE)
    assert _photo_ids(store) == {ident for name, (ident, _) in photos.items() if name not in _GONE}
    for name, (_, path) in photos.items():
        assert path.exists() == (name not in _GONE), name
    with store.session(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 4  # statistics stay
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "privacy.purge")).one()
        assert audit.detail["counts"]["photos"] == len(_GONE)
    with store.session() as s:
        assert run_retention(s, NOW, RetentionPolicy()).counts["photos"] == 0


def test_photo_files_stay_when_the_purge_rolls_back(store, chats, photos) -> None:
    with pytest.raises(RuntimeError), store.session() as s:
        assert run_retention(s, NOW, RetentionPolicy()).counts["photos"] == len(_GONE)
        s.flush()
        raise RuntimeError("the pass fails after deleting the rows")
    assert all(path.exists() for _, path in photos.values())
    assert len(_photo_ids(store)) == len(photos)


def test_the_purge_cli_counts_photos(store, chats, photos, capsys) -> None:
    assert main(["privacy", "purge", "--dry-run", "--url", store.url, "--now", NOW.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["photos"] == len(_GONE)
    assert all(path.exists() for _, path in photos.values())
    assert main(["privacy", "purge", "--url", store.url, "--now", NOW.isoformat()]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["photos"] == len(_GONE)
    assert not photos["closed_long_ago"][1].exists() and photos["closed_recently"][1].exists()


def test_the_policy_reads_where_photo_files_live() -> None:
    policy = RetentionPolicy.from_config({"evidence": {"directory": "photos"}})
    assert policy.evidence.directory == "photos"
