"""退订 / 订阅: the customer stops or resumes non-essential proactive messages.

Only the whole message counts ("退订", "TD", "取消订阅"): 退订 also occurs inside ordinary words
(退订单), and a customer describing something must never be unsubscribed by accident. Essential
messages — visit reminders, operator replies — are not affected.
"""

from __future__ import annotations

from functools import cache

from dialogs.effects import SetSubscription
from dialogs.texts import say, squash, texts
from dialogs.turn import Turn


@cache
def _words(name: str) -> frozenset[str]:
    return frozenset(squash(w) for w in texts()["commands"][name])


def handle(turn: Turn) -> bool:
    """Act on 退订/订阅 sent as a whole message; False for anything else."""
    said = squash(turn.parse.text)
    if said in _words("unsubscribe"):
        turn.effect(SetSubscription(False))
        turn.say(say("subscription.unsubscribed"))
        return True
    if said in _words("subscribe"):
        turn.effect(SetSubscription(True))
        turn.say(say("subscription.subscribed"))
        return True
    return False
