"""Words the console shows for the codes stored in the database (statuses, reasons, channels, places).

Kept apart from the templates so that the CSV export, the digest text and the pages say the same.
"""

from __future__ import annotations

from functools import cache
from typing import Any

CHANNELS = {"web": "网页", "telegram": "Telegram", "wechat": "微信", "terminal": "终端"}
STATUSES = {"collecting": "登记中", "out_of_area": "暂不支持", "escalated": "待人工", "booked": "已预约",
            "visited": "已上门", "closed": "已关闭", "cancelled": "已取消"}
REASONS = {
    "customer_asked": "客户要求转人工", "complaint": "投诉", "misunderstood": "机器人没听懂",
    "out_of_area": "服务区外", "out_of_area_insisted": "服务区外（坚持）", "brand_unsupported": "品牌不支持",
    "no_slots": "无可约时段", "visit_overdue": "上门超时", "survey_low_score": "满意度低分",
    "survey_unresolved": "回访：未解决", "booking_change": "预约变更", "urgent": "紧急",
}
ROLES = {"operator": "客服", "manager": "主管", "admin": "管理员"}
AUTHORS = {"customer": "客户", "bot": "机器人", "operator": "客服"}
#: Outbox kinds (bot/followups.py, bot/channels, bot/console, bot/reports/digest.py).
KINDS = {
    "reply": "机器人回复", "operator_reply": "客服回复", "reminder_evening": "上门前一晚提醒",
    "reminder_hour": "上门前一小时提醒", "survey": "满意度回访", "survey_nudge": "回访催答",
    "maintenance": "保养提醒", "operator_alert": "转人工通知（客服群）", "digest": "周报（主管）",
}


def channel(code: str | None) -> str:
    """网页 / Telegram / 微信 …"""
    return CHANNELS.get(code or "", code or "-")


def status(code: str | None) -> str:
    """A ticket status in Chinese."""
    return STATUSES.get(code or "", code or "-")


def reason(code: str | None) -> str:
    """Why a chat was escalated, in Chinese (unknown codes shown as they are)."""
    return REASONS.get(code or "", code or "-")


def kind(code: str | None) -> str:
    """What an outbox row is (客服回复, 满意度回访 …); unknown kinds shown as they are."""
    return KINDS.get(code or "", code or "-")


def fault(code: str | None, config: dict[str, Any]) -> str:
    """The fault's label from config.yml ``faults``."""
    return str((config.get("faults") or {}).get(code or "", code or "-"))


def product(code: str | None, config: dict[str, Any]) -> str:
    """保险柜 / 智能锁 from config.yml ``products``."""
    return str(((config.get("products") or {}).get(code or "") or {}).get("label") or code or "-")


@cache
def place(adcode: str | None, town: str | None = None) -> str:
    """河南省焦作市温县 (with the town when given) for a 6-digit county code; the code itself if unknown."""
    if not adcode:
        return "-"
    import regions

    division = regions.lookup(adcode)
    if division is None:
        return adcode
    return division.place(town).label


@cache
def province(adcode: str | None) -> str:
    """The province of a county code (河南省), or 未知 without one."""
    if not adcode:
        return "未知"
    import regions

    division = regions.lookup(adcode)
    return division.province if division is not None else "未知"
