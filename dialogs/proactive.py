"""What the bot says on its own initiative, and what it remembers when it does. Pure: no I/O.

The runtime plans these messages as outbox rows (``bot.followups``) and, when one is delivered, lets
the dialog state know (:func:`open_survey`, :func:`offer_maintenance`) so that the customer's answer is
read as an answer — a "5" after the survey is a score, not a pick from some old list.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from dialogs.replies import Button, Reply
from dialogs.services import Offer
from dialogs.state import ConversationState
from dialogs.texts import day_label, hhmm, say, texts

SURVEY_STEPS = ("csat", "resolved", "comment")


def reminder(kind: str, visit: Offer) -> Reply:
    """The visit reminder of ``kind`` (``reminder_evening`` or ``reminder_hour``)."""
    return Reply(say(f"followups.{kind}", technician=visit.technician, day=day_label(visit.start),
                     start=hhmm(visit.start), end=hhmm(visit.end)))


def score_buttons() -> tuple[Button, ...]:
    """Five buttons whose values are "1"…"5" (contract); the labels add stars and words."""
    labels = texts()["followups"]["survey_buttons"]
    return tuple(Button(label=str(label), value=str(score)) for score, label in enumerate(labels, start=1))


def survey(*, nudge: bool = False) -> Reply:
    """The satisfaction question (CSAT 1–5), or its one gentle reminder."""
    return Reply(say("followups.survey_nudge" if nudge else "followups.survey"), score_buttons())


def maintenance(product: str, product_label: str, months: int) -> Reply:
    """The preventive-maintenance reminder with a button offering a booking."""
    check = texts()["followups"]["maintenance_check"].get(product, "")
    label = say("followups.maintenance_button")
    return Reply(say("followups.maintenance", product=product_label, months=months, check=check),
                 (Button(label=label, value=label),))


def open_survey(state: ConversationState, ticket_id: int, now: datetime) -> ConversationState:
    """The state once the survey about ``ticket_id`` has reached the customer."""
    return replace(state, survey={"ticket_id": ticket_id, "step": "csat", "asked_at": now.isoformat()})


def offer_maintenance(state: ConversationState, facts: dict[str, Any]) -> ConversationState:
    """The state once a maintenance reminder offering a booking with ``facts`` has been delivered.

    ``facts``: ticket_id, brand, product, place (``Place.to_json()``), phone, address — what to book with.
    """
    return replace(state, maintenance=dict(facts))
