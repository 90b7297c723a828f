"""Sending to Telegram through python-telegram-bot: one ``Application`` per process, used by the webhook's
immediate answers and by the outbox dispatcher alike, so PTB's ``AIORateLimiter`` paces both.

- Buttons become an inline keyboard, one button per row (labels are sentences); values that do not fit
  in ``callback_data`` travel as references (``callback_refs``).
- A reply with an ``image`` (a chart in the managers' digest) is ``sendPhoto`` with the text as caption
  (a text longer than a caption may be follows as its own message).
- Platform errors become the outbox's vocabulary: 429 → :class:`TransientSendError` with the
  ``retry_after`` Telegram asked for (the limiter does not sleep on it: the row is re-planned instead,
  so no request or dispatcher pass waits), network trouble and 5xx → transient; blocked by the user,
  chat not found, a bad request → :class:`PermanentSendError`.

The token is given to PTB and nowhere else; it is never logged (httpx's request log, which prints
URLs with the token in them, is kept at WARNING).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.channels import callback_refs
from bot.channels.settings import TelegramSettings
from bot.config import data_dir
from bot.outbox.senders import PermanentSendError, SendError, TransientSendError
from bot.store.db import Database
from dialogs.replies import Reply

log = logging.getLogger(__name__)
# httpx's INFO lines and PTB's DEBUG lines print request URLs, which carry the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.INFO)

MAX_TEXT = 4096
MAX_CAPTION = 1024
_PRUNE_EVERY = timedelta(hours=1)


class TelegramSender:
    """Delivers replies to Telegram chats (the outbox's sender for channel ``telegram``)."""

    records_only = False

    def __init__(self, settings: TelegramSettings, db: Database, *, clock: Any = None) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock or (lambda: datetime.now().astimezone())
        self._application: Any = None
        self._ready = False
        self._lock: asyncio.Lock | None = None
        self._pruned_at: datetime | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    @property
    def application(self) -> Any:
        """The PTB ``Application`` (built on first use; no updater: we receive updates ourselves)."""
        if self._application is None:
            from telegram.ext import AIORateLimiter, Application

            timeout = self.settings.request_timeout_s
            self._application = (
                Application.builder().token(self.settings.token).updater(None)
                .base_url(self.settings.api_base_url).base_file_url(self.settings.file_base_url)
                .rate_limiter(AIORateLimiter(max_retries=0))
                .connect_timeout(timeout).read_timeout(timeout).write_timeout(timeout).pool_timeout(timeout)
                .media_write_timeout(timeout * 3)
                .build()
            )
        return self._application

    @property
    def bot(self) -> Any:
        """PTB's ``ExtBot`` (rate-limited)."""
        return self.application.bot

    async def start(self) -> None:
        """Initialise PTB (``getMe``); a Bot API that is down now is retried on the first send."""
        try:
            await self.ready()
        except Exception as exc:
            log.warning("Telegram Bot API not reachable at start-up (%s); will retry when sending",
                        type(exc).__name__)

    async def ready(self) -> Any:
        """The bot, initialised once."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._ready:
                await self.application.initialize()
                self._ready = True
        return self.bot

    async def stop(self) -> None:
        """Close PTB's HTTP connections."""
        if self._ready:
            self._ready = False
            await self.application.shutdown()

    # -- sending -----------------------------------------------------------------------------------------
    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Send one reply (text, keyboard, picture); returns Telegram's message id."""
        from telegram.error import TelegramError

        try:
            bot = await self.ready()
            markup = await self.keyboard(chat_id, reply)
            text = reply.text.strip() or ("请选择：" if reply.buttons else "")
            if reply.image:
                return await self._send_photo(bot, chat_id, reply.image, text, markup)
            if not text:
                return None
            chunks = split_text(text, MAX_TEXT)
            message = None
            for i, chunk in enumerate(chunks):
                message = await bot.send_message(chat_id=chat_id, text=chunk,
                                                 reply_markup=markup if i == len(chunks) - 1 else None)
            return str(message.message_id) if message is not None else None
        except TelegramError as exc:
            raise send_error(exc) from exc

    async def _send_photo(self, bot: Any, chat_id: str, image: str, text: str, markup: Any) -> str:
        path = image_path(image)
        caption, rest = (text, "") if len(text) <= MAX_CAPTION else ("", text)
        with path.open("rb") as fh:
            message = await bot.send_photo(chat_id=chat_id, photo=fh, caption=caption or None,
                                           reply_markup=None if rest else markup)
        for i, chunk in enumerate(split_text(rest, MAX_TEXT) if rest else []):
            last = i == len(split_text(rest, MAX_TEXT)) - 1
            message = await bot.send_message(chat_id=chat_id, text=chunk, reply_markup=markup if last else None)
        return str(message.message_id)

    async def keyboard(self, chat_id: str, reply: Reply) -> Any:
        """The inline keyboard for the reply's buttons (None without buttons)."""
        if not reply.buttons:
            return None
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        values = [b.value for b in reply.buttons]
        if all(callback_refs.fits(v) for v in values):
            data = values
        else:
            data = await asyncio.to_thread(self._store_refs, chat_id, values)
        return InlineKeyboardMarkup([[InlineKeyboardButton(text=b.label[:200] or b.value[:200], callback_data=d)]
                                     for b, d in zip(reply.buttons, data, strict=True)])

    def _store_refs(self, chat_id: str, values: list[str]) -> list[str]:
        now = self.clock()
        with self.db.session() as session:
            data = callback_refs.callback_data(session, channel="telegram", chat_id=chat_id, values=values, now=now)
            if self._pruned_at is None or now - self._pruned_at > _PRUNE_EVERY:
                callback_refs.prune(session, before=now - timedelta(days=self.settings.callback_ttl_days))
                self._pruned_at = now
        return data


def image_path(image: str) -> Path:
    """The picture file of a reply: a path under the data directory, nowhere else."""
    root = data_dir().resolve()
    path = Path(image)
    path = (path if path.is_absolute() else root / path).resolve()
    if root not in path.parents or not path.is_file():
        raise PermanentSendError("the reply's image is not a file under the data directory")
    return path


def split_text(text: str, limit: int) -> list[str]:
    """Text in pieces of at most ``limit`` characters, cut at line ends where possible."""
    chunks: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        chunks.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        chunks.append(text)
    return chunks


def send_error(exc: Exception) -> SendError:
    """A PTB error as the outbox's transient or permanent failure."""
    from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter

    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns that the int form is deprecated; both are handled
            warnings.simplefilter("ignore")
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return TransientSendError(f"Telegram flood control: retry after {seconds:g} s", retry_after=seconds)
    if isinstance(exc, Forbidden):
        return PermanentSendError(f"Telegram refused (the user blocked the bot or never started it): {exc.message}")
    if isinstance(exc, InvalidToken):
        return PermanentSendError("Telegram rejected the bot token (check TELEGRAM_BOT_TOKEN)")
    if isinstance(exc, ChatMigrated):
        return PermanentSendError(f"the Telegram group moved to chat {exc.new_chat_id}")
    if isinstance(exc, BadRequest):
        return PermanentSendError(f"Telegram refused the message: {exc.message}")
    if isinstance(exc, NetworkError):
        return TransientSendError(f"Telegram unreachable or failing: {exc.message}")
    return TransientSendError(f"Telegram error: {exc}")
