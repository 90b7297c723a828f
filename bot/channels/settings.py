"""Messenger settings: secrets from the environment (read when the app is built), the rest from config.yml.

A channel is off when its token is unset. Secrets are kept out of ``repr`` so that a settings object in
a log line or a traceback shows no token.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import config_values
from bot.config_values import ConfigError

TELEGRAM_API = "https://api.telegram.org/bot"
WECHAT_API = "https://api.weixin.qq.com"
_SECRET_CHARS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ChannelSettingsError(ConfigError):
    """A channel variable or config key has the wrong shape; the message names it."""


def _number(section: dict[str, Any], key: str, default: float, prefix: str) -> float:
    return float(config_values.number(section, key, default, prefix, minimum=0, exclusive=True,
                                      error=ChannelSettingsError))


def _section(config: dict[str, Any], name: str) -> dict[str, Any]:
    channels = config.get("channels") or {}
    section = channels.get(name) or {} if isinstance(channels, dict) else None
    if not isinstance(section, dict):
        raise ChannelSettingsError(f"channels.{name}: expected a mapping")
    return section


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    """Telegram: ``TELEGRAM_*`` variables plus config.yml ``channels.telegram``."""

    token: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    mode: str = "webhook"
    api_base_url: str = TELEGRAM_API
    file_base_url: str = "https://api.telegram.org/file/bot"
    operator_chat_id: str | None = None
    manager_chat_id: str | None = None
    request_timeout_s: float = 10.0
    poll_timeout_s: float = 25.0
    callback_ttl_days: float = 30.0
    max_body_bytes: int = 1_048_576

    @classmethod
    def from_env(cls, config: dict[str, Any], env: Mapping[str, str] | None = None) -> TelegramSettings | None:
        """The settings, or None when ``TELEGRAM_BOT_TOKEN`` is unset (the channel is off)."""
        env = os.environ if env is None else env
        token = (env.get("TELEGRAM_BOT_TOKEN") or "").strip()
        if not token:
            return None
        mode = (env.get("TELEGRAM_MODE") or "webhook").strip().lower()
        if mode not in ("webhook", "polling"):
            raise ChannelSettingsError(f"TELEGRAM_MODE: expected webhook or polling, got {mode!r}")
        secret = (env.get("TELEGRAM_WEBHOOK_SECRET") or "").strip() or derived_webhook_secret(token)
        if not _SECRET_CHARS.match(secret):
            raise ChannelSettingsError("TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and - "
                                       "(what Telegram accepts)")
        base = (env.get("TELEGRAM_API_BASE_URL") or "").strip() or TELEGRAM_API
        section = _section(config, "telegram")
        prefix = "channels.telegram"
        return cls(
            token=token, webhook_secret=secret, mode=mode, api_base_url=base, file_base_url=file_base_url(base),
            operator_chat_id=(env.get("TELEGRAM_OPERATOR_CHAT_ID") or "").strip() or None,
            manager_chat_id=(env.get("TELEGRAM_MANAGER_CHAT_ID") or "").strip() or None,
            request_timeout_s=_number(section, "request_timeout_s", 10.0, prefix),
            poll_timeout_s=_number(section, "poll_timeout_s", 25.0, prefix),
            callback_ttl_days=_number(section, "callback_ttl_days", 30.0, prefix),
            max_body_bytes=int(_number(section, "max_body_bytes", 1_048_576, prefix)),
        )


def file_base_url(api_base_url: str) -> str:
    """The Bot API's file URL beside its method URL: ``…/bot`` → ``…/file/bot`` (as the official server lays out)."""
    base = api_base_url.rstrip("/")
    if base.endswith("/bot"):
        return base[: -len("/bot")] + "/file/bot"
    return base + "/file/bot"


def derived_webhook_secret(token: str) -> str:
    """A webhook secret when none is configured: a keyed hash of the bot token (same in every process)."""
    from bot.privacy import lookup_hash

    return lookup_hash(f"telegram-webhook-secret:{token}")


@dataclass(frozen=True, slots=True)
class WeChatSettings:
    """WeChat Official Account: ``WECHAT_*`` variables plus config.yml ``channels.wechat``."""

    token: str = field(repr=False)
    app_id: str = ""
    app_secret: str = field(default="", repr=False)
    aes_key: str | None = field(default=None, repr=False)
    api_base_url: str = WECHAT_API
    passive_reply_s: float = 4.0
    window_hours: float = 48.0
    request_timeout_s: float = 5.0
    max_body_bytes: int = 262_144
    template_id: str | None = None
    template_field: str = "content"

    @property
    def safe_mode(self) -> bool:
        """Messages are encrypted (EncodingAESKey set, 安全模式)."""
        return self.aes_key is not None

    @property
    def can_send(self) -> bool:
        """The customer-service API needs the AppID and AppSecret."""
        return bool(self.app_id and self.app_secret)

    @classmethod
    def from_env(cls, config: dict[str, Any], env: Mapping[str, str] | None = None) -> WeChatSettings | None:
        """The settings, or None when ``WECHAT_TOKEN`` is unset (the channel is off)."""
        env = os.environ if env is None else env
        token = (env.get("WECHAT_TOKEN") or "").strip()
        if not token:
            return None
        aes_key = (env.get("WECHAT_AES_KEY") or "").strip() or None
        app_id = (env.get("WECHAT_APP_ID") or "").strip()
        if aes_key is not None:
            try:
                valid = len(aes_key) == 43 and len(base64.b64decode(aes_key + "=", validate=True)) == 32
            except (binascii.Error, ValueError):
                valid = False
            if not valid:
                raise ChannelSettingsError("WECHAT_AES_KEY: the 43-character EncodingAESKey from the "
                                           "Official Account's server settings")
            if not app_id:
                raise ChannelSettingsError("WECHAT_APP_ID: required in safe mode (WECHAT_AES_KEY is set)")
        section = _section(config, "wechat")
        prefix = "channels.wechat"
        template = section.get("template_id")
        return cls(
            token=token, app_id=app_id, app_secret=(env.get("WECHAT_APP_SECRET") or "").strip(), aes_key=aes_key,
            api_base_url=((env.get("WECHAT_API_BASE_URL") or "").strip() or WECHAT_API).rstrip("/"),
            passive_reply_s=_number(section, "passive_reply_s", 4.0, prefix),
            window_hours=_number(section, "window_hours", 48.0, prefix),
            request_timeout_s=_number(section, "request_timeout_s", 5.0, prefix),
            max_body_bytes=int(_number(section, "max_body_bytes", 262_144, prefix)),
            template_id=str(template) if template else None,
            template_field=str(section.get("template_field") or "content"),
        )
