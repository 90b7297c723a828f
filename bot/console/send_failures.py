"""Why a message did not reach the customer, in plain Chinese for operators: a table of known error texts.

The dispatcher stores a failed row's reason as ``permanent: <sender's text>`` (the platform refused it:
retrying cannot help) or as the last transient error once ``followups.outbox.max_attempts`` ran out
(bot/outbox/dispatcher.py). The senders' texts are ours (bot/channels/telegram_sender.py ``send_error``,
bot/channels/wechat_api.py) with the platform's own words inside, so a short fragment is enough to
recognise each case. The table is data, first match wins; the raw text is always shown next to it,
because an operator may need to read it to a developer and a new platform error must still be legible.
"""

from __future__ import annotations

#: (fragment of the stored error, lower case) → what the operator reads. More specific fragments first.
KNOWN: tuple[tuple[str, str], ...] = (
    ("bot was blocked by the user", "客户已在 Telegram 屏蔽机器人"),
    ("can't initiate conversation", "客户从未在 Telegram 打开过机器人，机器人不能先发消息"),
    ("user is deactivated", "客户的 Telegram 账号已注销"),
    ("blocked the bot or never started it", "客户屏蔽了机器人，或从未在 Telegram 打开过机器人"),
    ("chat not found", "找不到这个 Telegram 对话"),
    ("rejected the bot token", "Telegram 不认这个机器人令牌：请管理员检查 TELEGRAM_BOT_TOKEN"),
    ("group moved to chat", "Telegram 群已升级为超级群，群 ID 变了：请管理员更新群 ID"),
    ("image is not a file", "消息附带的图片文件找不到了"),
    ("customer-service window", "客户超过 48 小时没有发消息，微信不允许再发客服消息，且没有配置模板消息：请电话联系客户"),
    ("45015", "客户超过 48 小时没有发消息，微信不允许再发客服消息：请电话联系客户"),
    ("45047", "客户一直没有回复，微信限制继续发送客服消息：请电话联系客户"),
    ("43004", "客户已取消关注公众号"),
    ("43101", "客户拒收这类模板消息"),
    ("40003", "微信不认这个客户的 openid"),
    ("telegram refused the message", "Telegram 拒收这条消息（内容或格式不被接受）"),
)
PERMANENT = "permanent:"
REFUSED = "平台拒收这条消息"
GAVE_UP = "尝试 {attempts} 次都没有发出，已放弃自动重试"
UNKNOWN = "发送失败（没有记录原因）"


def explain(error: str | None, attempts: int) -> str:
    """The operator's reason for a failed row: a known refusal, "the platform refused", or "gave up after N"."""
    if not error:
        return UNKNOWN
    text = error.lower()
    if not text.startswith(PERMANENT):
        return GAVE_UP.format(attempts=attempts)
    return next((said for fragment, said in KNOWN if fragment in text), REFUSED)
