"""Helpers for console tests: accounts, signing in an httpx client, reading the page's CSRF token."""

from __future__ import annotations

import re

import httpx

from bot.console.accounts import create
from bot.console.staff import Staff
from bot.store.db import Database

PASSWORD = "correct-horse-battery"


def account(db: Database, name: str, role: str = "operator", password: str = PASSWORD) -> Staff:
    """Create an account and return it as the services see people."""
    with db.session() as session:
        a = create(session, name, role=role, password=password)
    return Staff(a.id, a.username, a.display_name, a.role)


def hidden(html: str, name: str = "csrf") -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} field in the page"
    return match.group(1)


def page_csrf(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no csrf-token meta tag"
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    """Log the client in through the real login form; returns the POST's response."""
    form = await client.get("/console/login")
    return await client.post("/console/login", data={"username": name, "password": password,
                                                     "csrf": hidden(form.text), "next": ""})


async def signed_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> str:
    """Log in and return the session's CSRF token (from the queue or summary page)."""
    response = await sign_in(client, name, password)
    assert response.status_code == 303, response.text[:500]
    page = await client.get(response.headers["location"])
    assert page.status_code == 200
    return page_csrf(page.text)
