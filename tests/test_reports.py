"""Feedback reports: the figures, their groups, the CSV, ``repairbot report --json``, the summary page
and the weekly digest (once per week, to the managers' Telegram chat with a PNG chart)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from console_helpers import account, signed_in
from engine_helpers import MONDAY_10AM
from sqlalchemy import select

from bot.reports import period, report
from bot.reports.csv_table import csv_table
from bot.reports.digest import make_digest, period_of
from bot.store.models import (
    AuditLog,
    Booking,
    Conversation,
    Message,
    OutboxMessage,
    Slot,
    SurveyAnswer,
    Technician,
    Ticket,
)

TZ = ZoneInfo("Asia/Shanghai")


def seed(db, now: datetime) -> dict[str, int]:
    """Three tickets in the last days (two answered, one escalated after a low score) and one long ago."""
    from bot.config import load_config
    from bot.technicians import sync_from_config

    ids: dict[str, int] = {}
    with db.session() as s:
        sync_from_config(s, load_config())
        tech = s.scalars(select(Technician).order_by(Technician.id)).first()
        for name, brand, adcode, fault, age_days in (("a", "丹斯提尼", "410825", "forgot_password", 3),
                                                     ("b", "旗电佳", "350205", "no_power", 2),
                                                     ("c", "旗电佳", "350205", "no_power", 1),
                                                     ("old", "丹斯提尼", "410825", "alarm", 60)):
            conv = Conversation(channel="web", chat_id=f"chat-{name}", state={})
            s.add(conv)
            s.flush()
            t = Ticket(conversation_id=conv.id, status="visited", brand=brand, product="safe", fault=fault,
                       adcode=adcode, created_at=now - timedelta(days=age_days))
            s.add(t)
            s.flush()
            ids[name] = t.id
            s.add(OutboxMessage(idempotency_key=f"survey:{t.id}", conversation_id=conv.id, ticket_id=t.id,
                                channel="web", chat_id=conv.chat_id, kind="survey", payload={"text": "?"},
                                due_at=t.created_at, available_at=t.created_at, status="sent",
                                sent_at=t.created_at + timedelta(hours=20)))
        slot = Slot(technician_id=tech.id, start=now - timedelta(days=3, hours=-1), end=now - timedelta(days=3, hours=-3),
                    capacity=1, booked=1)
        s.add(slot)
        s.flush()
        s.add(Booking(ticket_id=ids["a"], slot_id=slot.id, status="done",
                      created_at=now - timedelta(days=3) + timedelta(hours=2)))
        answers = [("a", "csat", 5, None), ("a", "resolved", 1, None), ("a", "comment", None, "师傅很专业"),
                   ("b", "csat", 1, None), ("b", "resolved", 0, None), ("b", "comment", None, "还是打不开"),
                   ("old", "csat", 3, None)]
        for name, question, score, comment in answers:
            age = 60 - 20 if name == "old" else 1
            s.add(SurveyAnswer(ticket_id=ids[name], question=question, score=score, comment=comment,
                               created_at=now - timedelta(days=age)))
        escalated_at = now - timedelta(days=1)
        s.add(AuditLog(actor="bot", action="ticket.escalate", target=f"ticket:{ids['b']}",
                       detail={"reason": "survey_low_score"}, at=escalated_at))
        conv_b = s.get(Ticket, ids["b"]).conversation_id
        s.add(Message(conversation_id=conv_b, direction="out", author="operator", text="抱歉，马上安排",
                      proactive=True, created_at=escalated_at + timedelta(minutes=6)))
    ids["technician"] = tech.id
    return ids


def test_figures_and_groups(store):
    ids = seed(store, MONDAY_10AM)
    with store.session(readonly=True) as s:
        data = report(s, since=MONDAY_10AM - timedelta(days=30), until=MONDAY_10AM, tz=TZ).to_json()
    assert (data["tickets"], data["csat_avg"], data["csat_count"]) == (3, 3.0, 2)
    assert data["csat_distribution"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert (data["surveys_asked"], data["surveys_answered"], data["response_rate"]) == (3, 2, 0.667)
    assert data["resolved_rate"] == 0.5
    assert (data["escalations"], data["escalation_rate"]) == (1, 0.333)
    assert data["escalation_reasons"] == {"survey_low_score": 1}
    assert data["first_response_minutes"] == 6.0 and data["time_to_booking_hours"] == 2.0
    brands = {r["key"]: r for r in data["by_brand"]}
    assert brands["丹斯提尼"]["csat_avg"] == 5.0 and brands["旗电佳"]["csat_avg"] == 1.0
    assert brands["旗电佳"]["response_rate"] == 0.5
    assert {r["key"] for r in data["by_province"]} == {"河南省", "福建省"}
    with store.session(readonly=True) as s:
        name = s.get(Technician, ids["technician"]).name
    assert {r["key"]: r["csat_avg"] for r in data["by_technician"]}[name] == 5.0
    assert {r["key"] for r in data["by_fault"]} == {"forgot_password", "no_power"}
    assert [c["comment"] for c in data["lowest_comments"]] == ["还是打不开", "师傅很专业"]
    assert data["lowest_comments"][0]["score"] == 1 and data["lowest_comments"][0]["ticket_id"] == ids["b"]
    with store.session(readonly=True) as s:
        empty = report(s, since=MONDAY_10AM + timedelta(days=1), until=MONDAY_10AM + timedelta(days=2), tz=TZ)
    assert empty.to_json()["csat_avg"] is None and empty.to_json()["response_rate"] is None


def test_csv_has_every_dimension_and_defuses_formulas(store):
    seed(store, MONDAY_10AM)
    with store.session(readonly=True) as s:
        summary = report(s, since=MONDAY_10AM - timedelta(days=30), until=MONDAY_10AM, tz=TZ)
    summary.groups["brand"]["=HYPERLINK(1)"] = summary.groups["brand"]["丹斯提尼"]
    text = csv_table(summary)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0]["dimension"] == "all" and rows[0]["csat_avg"] == "3.0"
    assert {r["dimension"] for r in rows} == {"all", "brand", "province", "technician", "fault", "week"}
    assert any(r["key"] == "'=HYPERLINK(1)" for r in rows)


def test_period_parsing():
    assert period("30d", MONDAY_10AM, TZ) == MONDAY_10AM - timedelta(days=30)
    assert period("2w", MONDAY_10AM, TZ) == MONDAY_10AM - timedelta(days=14)
    assert period("2026-11-01", MONDAY_10AM, TZ) == datetime(2026, 11, 1, tzinfo=TZ)
    for bad in ("0d", "soon", "30x"):
        with pytest.raises(ValueError):
            period(bad, MONDAY_10AM, TZ)


def test_report_cli_json(tmp_path, monkeypatch, capsys):
    from bot.cli import main
    from bot.store.db import Database

    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    db = Database(url)
    db.upgrade()
    seed(db, datetime.now(TZ))
    db.dispose()
    assert main(["report", "--since", "30d", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"csat_avg", "csat_count", "response_rate", "resolved_rate", "escalations", "by_brand",
            "by_technician"} <= data.keys()
    assert data["csat_count"] == 2 and data["escalations"] == 1
    assert main(["report"]) == 0 and "CSAT              3.0 from 2 answers" in capsys.readouterr().out
    assert main(["report", "--since", "yesterday"]) == 2


async def test_summary_page_and_csv_download(app, client):
    store = app.state.engine.db
    seed(store, MONDAY_10AM)
    account(store, "boss", "manager")
    await signed_in(client, "boss")
    page = await client.get("/console/summary?from=2026-10-25&to=2026-11-23&by=province")
    assert page.status_code == 200
    assert 'id="csat-avg">3.0<' in page.text and "河南省" in page.text and "还是打不开" in page.text
    assert "<svg" in page.text and "<script" not in page.text.split("</head>")[1]
    download = await client.get("/console/summary.csv?from=2026-10-25&to=2026-11-23")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"] and "丹斯提尼" in download.text
    for bad in ("from=2026-11-30&to=2026-11-01", "from=someday", "from=2020-01-01&to=2026-01-01", "by=colour"):
        assert (await client.get(f"/console/summary?{bad}")).status_code == 400, bad


def test_digest_is_made_once_and_queued_for_the_managers_chat(store, tmp_path):
    seed(store, MONDAY_10AM)
    monday_9am = MONDAY_10AM - timedelta(hours=1)
    with store.session() as s:
        digest, made = make_digest(s, now=monday_9am, tz=TZ, data_dir=tmp_path, manager_chat_id="-100200300")
        start = digest.period_start
    assert made and start == period_of(monday_9am, TZ)[0] == datetime(2026, 11, 16, tzinfo=TZ)
    assert "满意度 3.0（2 份评分" in digest.text and "还是打不开" not in digest.text
    with store.session() as s:
        again, made_again = make_digest(s, now=monday_9am + timedelta(minutes=5), tz=TZ, data_dir=tmp_path,
                                        manager_chat_id="-100200300")
        assert not made_again and again.id == digest.id
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()
    assert len(rows) == 1
    row = rows[0]
    assert (row.channel, row.chat_id, row.status) == ("telegram", "-100200300", "pending")
    assert row.payload["text"] == digest.text
    with open(row.payload["image"], "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert digest.chart_png[:8] == b"\x89PNG\r\n\x1a\n"


def test_digest_without_a_chat_stays_in_the_console(store, tmp_path):
    with store.session() as s:
        digest, made = make_digest(s, now=MONDAY_10AM, tz=TZ, data_dir=tmp_path, manager_chat_id=None)
        assert made and digest.outbox_key is None
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all() == []


async def test_scheduled_digest_job_and_digest_page(app, client, tmp_path, monkeypatch):
    from bot.app import weekly_digest_job

    monkeypatch.setenv("TELEGRAM_MANAGER_CHAT_ID", "-1009")
    await weekly_digest_job(app.state.engine)()
    await weekly_digest_job(app.state.engine)()  # fired twice (two processes): one digest, one message
    with app.state.engine.db.session(readonly=True) as s:
        assert len(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")).all()) == 1
    account(app.state.engine.db, "boss", "manager")
    await signed_in(client, "boss")
    page = await client.get("/console/digests")
    assert page.status_code == 200 and "客服周报" in page.text and "chart.png" in page.text
    chart = await client.get("/console/digests/1/chart.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert (await client.get("/console/digests/99/chart.png")).status_code == 404
