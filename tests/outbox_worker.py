"""A dispatcher process for tests/test_outbox_processes.py (not a test module: no ``test_`` prefix).

``python tests/outbox_worker.py DB_URL NOW stall`` claims due rows and stalls inside the first send — the
moment between claim and send where a crash would leave rows claimed but unsent; it prints ``CLAIMED``
so the test knows when to SIGKILL it. ``… NOW web`` prints ``ready`` once connected, waits for a line on
stdin (so several workers start together), runs one ordinary pass and prints its stats as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

from bot.config import load_config
from bot.outbox import Dispatcher
from bot.store.db import Database
from dialogs.replies import Reply


class StallingSender:
    """Announces that rows are claimed, then never returns (the process gets killed here)."""

    records_only = False

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        print("CLAIMED", flush=True)
        await asyncio.Event().wait()
        return None


def main() -> int:
    url, now, mode = sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    db = Database(url)
    senders = {"telegram": StallingSender()} if mode == "stall" else {}
    if mode == "web":
        with db.session(readonly=True):
            pass
        print("ready", flush=True)
        sys.stdin.readline()
    stats = Dispatcher(db, config=load_config(), senders=senders).drain_sync(now)
    print(json.dumps(stats.to_json()), flush=True)
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
