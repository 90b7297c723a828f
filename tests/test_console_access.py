"""Console access: sessions, roles, CSRF, throttling, logout and the private-notes rule, over HTTP."""

from __future__ import annotations

import pytest
from console_helpers import PASSWORD, account, hidden, sign_in, signed_in
from engine_helpers import ChatUser
from fixtures_web import browser_client
from sqlalchemy import select

from bot.store.models import AuditLog, ConsoleSession, Conversation


@pytest.fixture
def escalated(app):
    """A customer who asked for a person: conversation 1 with an escalated ticket."""
    user = ChatUser(app.state.engine, "cust-1")
    user.say("我在焦作温县，丹斯提尼保险柜密码忘了，电话13812345678")
    user.say("转人工")
    assert user.ticket["status"] == "escalated"
    with app.state.engine.db.session(readonly=True) as s:
        return s.scalar(select(Conversation.id).where(Conversation.chat_id == "cust-1"))


async def test_no_session_gets_the_login_page(app, client):
    for path in ("/console/", "/console/queue", "/console/summary", "/console/tickets/1"):
        response = await client.get(path)
        assert response.status_code == 303 and "/console/login" in response.headers["location"], path
    landing = await client.get("/console", follow_redirects=True)
    assert landing.status_code == 200 and 'type="password"' in landing.text
    page = await client.get("/console/login")
    assert page.status_code == 200 and 'type="password"' in page.text
    # A form post without a session changes nothing and goes to the login page too.
    assert (await client.post("/console/conversations/1/take", data={"csrf": "x"})).status_code == 303
    assert (await client.get("/console/api/notes/1")).status_code == 401


async def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(app, client):
    account(app.state.engine.db, "alice")
    response = await sign_in(client, "alice")
    assert response.status_code == 303 and response.headers["location"].endswith("/console/queue")
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower() and "path=/console" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http here; https gets Secure
    page = await client.get("/console/queue")
    assert page.status_code == 200
    token = client.cookies.get("repairbot_console")
    with app.state.engine.db.session(readonly=True) as s:
        stored = s.scalars(select(ConsoleSession.id)).all()
    assert token not in stored and len(stored) == 1  # only the token's hash is stored
    csrf = hidden(page.text)
    assert (await client.post("/console/logout", data={"csrf": csrf})).status_code == 303
    assert (await client.get("/console/queue")).status_code == 303
    # The old cookie, replayed, is worthless now.
    async with browser_client(app) as thief:
        thief.cookies.set("repairbot_console", token, path="/console")
        assert (await thief.get("/console/queue")).status_code == 303


async def test_wrong_role_is_403(app, escalated):
    db = app.state.engine.db
    account(db, "op")
    account(db, "boss", "manager")
    async with browser_client(app) as op:
        await signed_in(op, "op")
        assert (await op.get("/console/summary")).status_code == 403
        assert (await op.get("/console/summary.csv")).status_code == 403
        assert (await op.get("/console/digests")).status_code == 403
    async with browser_client(app) as boss:
        csrf = await signed_in(boss, "boss")
        assert (await boss.get("/console/summary")).status_code == 200
        refused = await boss.post(f"/console/conversations/{escalated}/take", data={"csrf": csrf})
        assert refused.status_code == 403
        assert (await boss.get("/console/technicians")).status_code == 403
    with db.session(readonly=True) as s:
        assert s.get(Conversation, escalated).operator_id is None


async def test_missing_or_wrong_csrf_is_403_and_changes_nothing(app, client, escalated):
    account(app.state.engine.db, "alice")
    csrf = await signed_in(client, "alice")
    url = f"/console/conversations/{escalated}/take"
    assert (await client.post(url)).status_code == 403
    assert (await client.post(url, data={"csrf": "stale-token-from-an-old-page"})).status_code == 403
    assert (await client.post(url, headers={"X-CSRF-Token": "nope"})).status_code == 403
    with app.state.engine.db.session(readonly=True) as s:
        assert s.get(Conversation, escalated).operator_id is None
    assert (await client.post(url, data={"csrf": csrf})).status_code == 303
    with app.state.engine.db.session(readonly=True) as s:
        assert s.get(Conversation, escalated).operator_id is not None


async def test_login_form_needs_its_own_token(app, client):
    account(app.state.engine.db, "alice")
    response = await client.post("/console/login", data={"username": "alice", "password": PASSWORD, "csrf": "x"})
    assert response.status_code == 403 and "repairbot_console=" not in response.headers.get("set-cookie", "")


async def test_repeated_failures_are_throttled_even_with_the_right_password(app, client):
    account(app.state.engine.db, "alice")
    for _ in range(5):
        assert (await sign_in(client, "alice", "wrong-password-123")).status_code == 401
    blocked = await sign_in(client, "alice")
    assert blocked.status_code == 429 and "次数过多" in blocked.text
    # Another account from the same address is not locked by alice's failures (yet).
    account(app.state.engine.db, "bob")
    async with browser_client(app) as other:
        assert (await sign_in(other, "bob")).status_code == 303


async def test_a_successful_login_resets_the_count(app, client):
    account(app.state.engine.db, "alice")
    for _ in range(4):
        await sign_in(client, "alice", "wrong-password-123")
    assert (await sign_in(client, "alice")).status_code == 303
    async with browser_client(app) as again:
        for _ in range(4):
            assert (await sign_in(again, "alice", "wrong-password-123")).status_code == 401
        assert (await sign_in(again, "alice")).status_code == 303


async def test_open_redirects_are_refused(app, client):
    account(app.state.engine.db, "alice")
    form = await client.get("/console/login?next=https://evil.example/")
    assert 'name="next" value=""' in form.text
    response = await client.post("/console/login", data={"username": "alice", "password": PASSWORD,
                                                          "csrf": hidden(form.text), "next": "//evil.example/x"})
    assert response.headers["location"].endswith("/console/queue")


async def test_private_notes_rule(app, escalated):
    """Team notes: every staff member. Private notes: the author, managers and admins — not other operators."""
    db = app.state.engine.db
    account(db, "alice")
    account(db, "bob")
    account(db, "boss", "manager")
    async with browser_client(app) as alice:
        csrf = await signed_in(alice, "alice")
        for text, private in (("客户很着急", ""), ("客户之前投诉过我们，说话小心", "1")):
            data = {"csrf": csrf, "text": text, **({"private": private} if private else {})}
            assert (await alice.post(f"/console/conversations/{escalated}/notes", data=data)).status_code == 303
        mine = (await alice.get(f"/console/api/conversations/{escalated}/notes")).json()["notes"]
        assert [n["private"] for n in mine] == [False, True]
        team_id, private_id = mine[0]["id"], mine[1]["id"]
    async with browser_client(app) as bob:
        await signed_in(bob, "bob")
        listed = (await bob.get(f"/console/api/conversations/{escalated}/notes")).json()["notes"]
        assert [n["id"] for n in listed] == [team_id]
        assert (await bob.get(f"/console/api/notes/{team_id}")).status_code == 200
        refused = await bob.get(f"/console/api/notes/{private_id}")
        assert refused.status_code == 403 and "私人备注" in refused.json()["error"]
        page = await bob.get(f"/console/conversations/{escalated}")
        assert "说话小心" not in page.text and "客户很着急" in page.text
        assert (await bob.get("/console/api/notes/99999")).status_code == 404
    async with browser_client(app) as boss:
        await signed_in(boss, "boss")
        assert (await boss.get(f"/console/api/notes/{private_id}")).json()["text"] == "客户之前投诉过我们，说话小心"
    with db.session(readonly=True) as s:
        actions = s.scalars(select(AuditLog.detail).where(AuditLog.action == "note.add")).all()
    assert len(actions) == 2 and all("text" not in d for d in actions)


async def test_every_action_is_audited_with_who_and_which_ticket(app, client, escalated):
    account(app.state.engine.db, "alice")
    csrf = await signed_in(client, "alice")
    await client.post(f"/console/conversations/{escalated}/take", data={"csrf": csrf})
    await client.post(f"/console/conversations/{escalated}/reply", data={"csrf": csrf, "text": "您好"})
    await client.post(f"/console/conversations/{escalated}/hand-back", data={"csrf": csrf})
    with app.state.engine.db.session(readonly=True) as s:
        rows = s.execute(select(AuditLog.actor, AuditLog.action, AuditLog.target, AuditLog.at)
                         .where(AuditLog.actor == "operator:alice").order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["console.login", "conversation.take", "conversation.reply",
                                        "conversation.hand_back"]
    assert all(r.target == "ticket:1" for r in rows[1:]) and all(r.at is not None for r in rows)


async def test_unknown_records_and_bad_input_get_clear_answers(app, client, escalated):
    account(app.state.engine.db, "alice")
    csrf = await signed_in(client, "alice")
    assert (await client.get("/console/conversations/999")).status_code == 404
    assert (await client.get("/console/tickets/999")).status_code == 404
    assert (await client.get("/console/conversations/abc")).status_code == 404
    reply = await client.post(f"/console/conversations/{escalated}/reply", data={"csrf": csrf, "text": "hi"},
                              headers={"accept": "application/json"})
    assert reply.status_code == 409 and "接管" in reply.json()["error"]
    await client.post(f"/console/conversations/{escalated}/take", data={"csrf": csrf})
    empty = await client.post(f"/console/conversations/{escalated}/reply", data={"csrf": csrf, "text": "  "},
                              headers={"accept": "application/json"})
    assert empty.status_code == 400
    bad = await client.post(f"/console/conversations/{escalated}/transfer", data={"csrf": csrf, "to": "x"})
    assert bad.status_code == 400 and "转接对象" in bad.text
    assert (await client.get("/console/summary?from=2026-13-01")).status_code == 403  # operators: no summary


def test_users_cli(tmp_path, monkeypatch, capsys):
    import io

    from bot.cli import main

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    assert main(["users", "check"]) == 0 and "users add admin --role admin" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    assert main(["users", "add", "root", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "x", "--role", "operator", "--password-stdin"]) == 1
    assert "too short" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("another-long-password\n"))
    assert main(["users", "add", "ROOT", "--role", "operator", "--password-stdin"]) == 1  # names are case-blind
    assert main(["users", "check"]) == 0 and "users add admin" not in capsys.readouterr().out
    assert main(["users", "disable", "root"]) == 0
    assert main(["users", "list"]) == 0 and "root\tadmin\tdisabled" in capsys.readouterr().out
