"""The terminal front door: an interactive chat in a shell, or JSON lines for scripts.

Interactive: the bot's replies are printed with numbered buttons; typing a button's number sends its
value (the way WeChat shows choices). JSON mode: every input line is one message and produces exactly
one line ``{"replies": [...], "ticket": ...}`` (the web API's shape), flushed at once.
"""

from __future__ import annotations

import json
import uuid
from typing import TextIO

from bot.engine import Engine, Outcome
from bot.messages import Button, InboundMessage

PROMPT = "你> "
STATUS = {"collecting": "登记中", "out_of_area": "暂不支持", "escalated": "人工处理中", "booked": "已预约",
          "visited": "已上门", "closed": "已完成", "cancelled": "已取消"}


class TerminalChat:
    """One terminal conversation with the engine."""

    def __init__(self, engine: Engine, user: str) -> None:
        self.engine = engine
        self.user = user
        self._session = uuid.uuid4().hex[:12]
        self._count = 0
        self.buttons: list[Button] = []

    def send(self, text: str) -> Outcome:
        """Send one line as a message; remembers the buttons of the answer."""
        self._count += 1
        msg = InboundMessage(channel="terminal", chat_id=self.user, message_id=f"{self._session}-{self._count}",
                             text=text)
        outcome = self.engine.process(msg)
        self.buttons = [b for r in outcome.replies for b in r.buttons]
        return outcome

    def resolve(self, line: str) -> str:
        """A bare number picks the numbered button shown last; anything else is sent as typed."""
        stripped = line.strip()
        if stripped.isdigit() and 1 <= int(stripped) <= len(self.buttons):
            return self.buttons[int(stripped) - 1].value
        return line


def run_json(chat: TerminalChat, stdin: TextIO, stdout: TextIO) -> int:
    """One JSON object per input line, flushed after each line."""
    for raw in stdin:
        line = raw.rstrip("\r\n")
        outcome = chat.send(line)
        stdout.write(json.dumps(outcome.to_json(), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def run_interactive(chat: TerminalChat, stdin: TextIO, stdout: TextIO, greeting: str, *, prompt: bool = True) -> int:
    """A readable chat: replies, numbered buttons, a prompt. Ctrl-D or "退出" ends it.

    Without ``prompt`` (text piped in without ``--json``) the same transcript is printed, minus prompts.
    """
    stdout.write(f"机器人> {greeting}\n")
    if prompt:
        stdout.write("（输入按钮编号即可选择；输入“退出”或按 Ctrl-D 结束）\n")
    while True:
        if prompt:
            stdout.write(PROMPT)
            stdout.flush()
        raw = stdin.readline()
        if not raw:
            if prompt:
                stdout.write("\n")
            return 0
        line = raw.rstrip("\r\n")
        if line.strip() in ("退出", "exit", "quit"):
            return 0
        if not line.strip():
            continue
        if not prompt:
            stdout.write(f"{PROMPT}{line}\n")
        outcome = chat.send(chat.resolve(line))
        _print_outcome(outcome, stdout)


def _print_outcome(outcome: Outcome, stdout: TextIO) -> None:
    number = 0
    for reply in outcome.replies:
        stdout.write(f"机器人> {reply.text}\n")
        for button in reply.buttons:
            number += 1
            stdout.write(f"    [{number}] {button.label}\n")
    ticket = outcome.ticket
    if ticket:
        slot = ticket.get("slot")
        when = f" · {slot['start'][5:16].replace('T', ' ')} {slot['technician']}师傅" if slot else ""
        status = STATUS.get(ticket["status"], ticket["status"])
        stdout.write(f"    （工单 #{ticket['id']} · {status}{when}）\n")
    stdout.flush()
