"""Operator alerts: an escalated ticket is announced in the operators' Telegram group, as an outbox row.

Planned in the transaction that escalates the ticket (``bot.effects``), so an alert exists exactly when
the escalation was committed; kind ``operator_alert`` is written for people, so quiet hours and chat
holds do not apply (``bot.outbox.rules.HUMAN_KINDS``). The row has no conversation: it is not part of
the customer's chat history. The text names the ticket, the reason and the device facts — never the
customer's phone, name or address (the group is not an encrypted store).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.outbox import queue
from bot.store.models import Conversation, Ticket
from dialogs.replies import Reply
from dialogs.texts import say, texts

OPERATOR_CHAT_ENV = "TELEGRAM_OPERATOR_CHAT_ID"


def operator_chat(env: Mapping[str, str] | None = None) -> str | None:
    """The operators' Telegram chat id, when Telegram is configured and an operator chat is set."""
    env = os.environ if env is None else env
    chat = (env.get(OPERATOR_CHAT_ENV) or "").strip()
    return chat if chat and (env.get("TELEGRAM_BOT_TOKEN") or "").strip() else None


def plan_operator_alert(session: Session, ticket: Ticket, reason: str, conversation: Conversation | None,
                        config: dict[str, Any], now: datetime) -> bool:
    """Enqueue the alert for ``ticket``'s escalation; False when no operator chat is configured."""
    chat = operator_chat()
    if chat is None:
        return False
    return queue.enqueue(
        session, key=f"operator_alert:ticket:{ticket.id}:{reason}:{now.isoformat()}", channel="telegram",
        chat_id=chat, kind="operator_alert", reply=Reply(alert_text(ticket, reason, conversation, config)),
        due_at=now, ticket_id=ticket.id, essential=True,
    )


def alert_text(ticket: Ticket, reason: str, conversation: Conversation | None, config: dict[str, Any]) -> str:
    """The alert's words: ticket number, reason, brand/product/fault/region, channel; no personal data."""
    reasons = texts()["channels"]["operator_alert_reasons"]
    facts = []
    if ticket.brand or ticket.product:
        product = ((config.get("products") or {}).get(ticket.product) or {}).get("label") or ""
        facts.append(f"{ticket.brand or ''}{product}")
    if ticket.fault:
        facts.append(str((config.get("faults") or {}).get(ticket.fault, ticket.fault)))
    if ticket.adcode:
        import regions

        division = regions.lookup(ticket.adcode)
        if division is not None:
            facts.append(division.place(ticket.town).label)
    return say("channels.operator_alert", ticket=ticket.id,
               reason=reasons.get(reason) or say("channels.operator_alert_other"),
               facts="".join(f"{f}；" for f in facts),
               channel=conversation.channel if conversation is not None else "-")
