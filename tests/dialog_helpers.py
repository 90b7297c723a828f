"""Plain-value fixtures for the dialog policy tests: fake services, hand-made parses, a chat driver.

No database and no NLU: each test builds the ``Parse`` the NLU would give, so the policy is tested on
its own. ``Chat`` stores the state through JSON after every turn, as the engine does.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import dialogs
from dialogs import Catalog, ConversationState, CoverageView, Offer, PriceQuote, Progress, SaveTicket
from nlu.types import Parse
from regions.place import Place

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=CST)  # a Monday morning
WEN = Place("410825", "河南省", "焦作市", "温县")
BOAI = Place("410822", "河南省", "焦作市", "博爱县")
MENGZHOU = Place("410883", "河南省", "焦作市", "孟州市")
LHASA = Place("540102", "西藏自治区", "拉萨市", "城关区")
DONGGUAN = Place("441900", "广东省", "东莞市", None)
GULOU = (Place("350102", "福建省", "福州市", "鼓楼区"), Place("320106", "江苏省", "南京市", "鼓楼区"))
SURCHARGE_NOTE = "夜间（20:00 以后）和法定节假日上门，上门费另加 30 元。"

CATALOG = Catalog(
    products={"safe": "保险柜", "lock": "智能锁"},
    faults={"cannot_open": "打不开", "forgot_password": "忘记密码", "no_power": "没电/不亮",
            "fingerprint_fail": "指纹不识别", "other": "其他问题"},
    brands={"丹斯提尼": ("safe",), "旗电佳": ("lock",)},
    fault_choices={"safe": ("forgot_password", "cannot_open", "no_power", "other"),
                   "lock": ("fingerprint_fail", "no_power", "cannot_open")},
)
# Repair price ranges per product and fault: what the catalogue says is repaired on what.
PRICES = {
    ("safe", "forgot_password"): (80, 150), ("safe", "cannot_open"): (80, 200), ("safe", "no_power"): (30, 80),
    ("lock", "forgot_password"): (60, 120), ("lock", "cannot_open"): (80, 200), ("lock", "no_power"): (30, 80),
    ("lock", "fingerprint_fail"): (60, 150),
}


def slot(hours: int, technician: str, eta: int, day: datetime | None = None) -> Offer:
    start = (day or datetime(2026, 11, 24, 9, 0, tzinfo=CST)) + timedelta(hours=hours)
    return Offer(ref=f"{technician}-{start:%m%d%H}", technician=technician, start=start,
                 end=start + timedelta(hours=2), distance_km=eta / 2, eta_minutes=eta)


class FakeServices:
    """The dialogs' read-only services over plain lists; ``urgent`` feeds ``urgent_offers``."""

    catalog = CATALOG

    def __init__(self) -> None:
        self.slots = [slot(0, "王强", 20), slot(0, "李明", 45), slot(2, "王强", 20), slot(4, "王强", 20)]
        self.covered = {"410825", "410883", "410822", "441900"}
        self.towns = {"441900": ("虎门镇", "南城街道", "东城街道")}
        self.progress_value: Progress | None = None
        self.offer_calls: list[dict] = []
        self.urgent: list[Offer] = []
        self.urgent_calls: list[dict] = []
        self.note: str | None = SURCHARGE_NOTE

    def coverage(self, brand, product, place):
        if place.adcode in self.towns and not place.town:
            return CoverageView(None, "need_town", need_town=True, towns=self.towns[place.adcode])
        if place.adcode in self.towns and place.town not in self.towns[place.adcode]:
            return CoverageView(False, "town_not_served")
        if place.adcode in self.covered:
            return CoverageView(True)
        return CoverageView(False, "out_of_area")

    def towns_of(self, adcode):
        return (*self.towns.get(adcode, ()), "石龙镇", "长安镇") if adcode in self.towns else ()

    def offers(self, *, brand, product, place, after, prefer, count=3):
        self.offer_calls.append({"prefer": prefer, "count": count})
        found = [s for s in self.slots if s.start >= after]
        if prefer and prefer.start:
            found = [s for s in found if prefer.start <= s.start < (prefer.end or s.start + timedelta(1))]
        return found[:count]

    def urgent_offers(self, *, brand, product, place, now, count=1):
        self.urgent_calls.append({"brand": brand, "place": place.adcode, "now": now, "count": count})
        return self.urgent[:count]

    def progress(self, ticket_id):
        return self.progress_value

    def price(self, product, fault):
        span = PRICES.get((product, fault))
        if span:
            return PriceQuote(call_out_fee=50, low=span[0], high=span[1], note=self.note)
        return PriceQuote(call_out_fee=50, note=self.note)


class ServicesWithoutUrgent(FakeServices):
    """The engine's services before the roster branch lands: no ``urgent_offers`` at all."""

    def __getattribute__(self, name: str):
        if name == "urgent_offers":
            raise AttributeError(name)
        return super().__getattribute__(name)


def P(text: str, intent: str = "report_fault", **facts) -> Parse:  # noqa: N802 - reads like a literal
    return Parse(text=text, intent=intent, **facts)


ALL_IN_ONE = P("我在焦作温县建设路12号4栋201，丹斯提尼保险柜密码忘了，电话13812345678", brand="丹斯提尼",
               brand_supported=True, product="safe", fault="forgot_password", place=WEN, phone="13812345678",
               address="建设路12号4栋201")


class Chat:
    """Runs turns like the engine would: state in, state out (through JSON, as stored)."""

    def __init__(self, services: FakeServices | None = None, now: datetime = NOW) -> None:
        self.services = services or FakeServices()
        self.state = ConversationState()
        self.now = now

    def send(self, parse: Parse) -> dialogs.Step:
        step = dialogs.step(self.state, parse, self.services, self.now)
        self.state = ConversationState.from_json(json.loads(json.dumps(step.state.to_json())))
        if self.state.ticket_id is None and any(isinstance(e, SaveTicket) for e in step.effects):
            self.state.ticket_id = 1
        return step

    def say(self, text: str, intent: str = "out_of_scope", **facts) -> dialogs.Step:
        return self.send(P(text, intent, **facts))

    def press(self, step: dialogs.Step, index: int, parse_intent: str = "out_of_scope") -> dialogs.Step:
        button = [b for r in step.replies for b in r.buttons][index]
        return self.send(P(button.value, parse_intent))


def texts(step: dialogs.Step) -> str:
    return "\n".join(r.text for r in step.replies)


def buttons(step: dialogs.Step) -> list[str]:
    return [b.label for r in step.replies for b in r.buttons]


def values(step: dialogs.Step) -> list[str]:
    return [b.value for r in step.replies for b in r.buttons]


def kinds(step: dialogs.Step) -> list[type]:
    return [type(e) for e in step.effects]


def effects_of(step: dialogs.Step, kind: type) -> list:
    return [e for e in step.effects if isinstance(e, kind)]


def book(chat: Chat) -> dialogs.Step:
    """All in one message, then press the first window."""
    return chat.press(chat.send(ALL_IN_ONE), 0)
