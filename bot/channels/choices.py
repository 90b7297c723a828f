"""The buttons a chat has on screen now, read back from its history: for typed numbers and stale presses.

WeChat shows buttons as numbered lines; a reply of "2" (or the label) must press the second one. Telegram
needs a fresh prompt when an expired button is pressed. Both read the *menu*: the newest group of
outgoing messages that carried buttons since the customer last wrote. A group is one turn's replies
(they went out as one passive reply) or one proactive message (one outbox row). The history is the
truth for what was shown: the engine stores each turn's replies, the dispatcher each delivered row.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Conversation, Message
from dialogs.replies import Button, Reply
from dialogs.texts import squash

_LOOK_BACK = 30


def current_menu(session: Session, channel: str, chat_id: str) -> Reply | None:
    """The newest group of bot messages with buttons since the customer's last message, as one reply."""
    conv_id = session.scalar(select(Conversation.id).where(Conversation.channel == channel,
                                                           Conversation.chat_id == chat_id))
    if conv_id is None:
        return None
    rows = session.execute(
        select(Message.direction, Message.proactive, Message.text, Message.buttons)
        .where(Message.conversation_id == conv_id, Message.erased.is_(False))
        .order_by(Message.id.desc()).limit(_LOOK_BACK)
    ).all()
    groups: list[list[Reply]] = []
    open_turn = False  # the newest group is a turn's replies still being collected
    for direction, proactive, text, buttons in rows:
        if direction == "in":
            break
        reply = Reply(text=text or "", buttons=tuple(Button(str(b["label"]), str(b["value"])) for b in buttons or []))
        if proactive:
            groups.append([reply])
            open_turn = False
        elif open_turn:
            groups[-1].insert(0, reply)
        else:
            groups.append([reply])
            open_turn = True
    for group in groups:
        if any(r.buttons for r in group):
            from bot.channels.base import combine

            return combine(group)
    return None


def pressed_value(text: str, menu: Reply | None) -> str:
    """The button value a typed reply names — its number ("2", "２") or its label — else the text itself."""
    if menu is None or not menu.buttons:
        return text
    typed = unicodedata.normalize("NFKC", text).strip().rstrip(".。、")
    if typed.isdigit() and len(typed) <= 3:
        number = int(typed)
        if 1 <= number <= len(menu.buttons):
            return menu.buttons[number - 1].value
        return text
    said = squash(text)
    for button in menu.buttons:
        if said and said == squash(button.label):
            return button.value
    return text
