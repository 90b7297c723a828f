"""The outbox: the one path by which the bot (or an operator) speaks first.

Every proactive message — visit reminders, the satisfaction survey and its nudge, service-recovery
apologies, maintenance reminders, operator replies, manager digests — is a row in the ``outbox`` table,
written in the transaction that decided to send it (``queue.enqueue``). A :class:`Dispatcher` claims
due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one writer on SQLite) under a lease, applies the
delivery rules (``rules``: expiry, 退订, operator holds, quiet hours), sends through the channel's
:class:`~bot.outbox.senders.Sender` and settles each row: sent, held, retried with back-off, dropped or
failed. APScheduler (``bot.scheduler``) only wakes the dispatcher; the rows are the truth.
"""

from bot.outbox.dispatcher import Dispatcher, DispatchStats
from bot.outbox.queue import Claimed, cancel, claim, enqueue
from bot.outbox.senders import PermanentSendError, RecordingSender, Sender, SendError, TransientSendError

__all__ = [
    "Claimed", "DispatchStats", "Dispatcher", "PermanentSendError", "RecordingSender", "SendError", "Sender",
    "TransientSendError", "cancel", "claim", "enqueue",
]
