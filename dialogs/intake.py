"""Intake: fold what the customer said into the state, check the service area, ask for what is missing.

Order of questions: product, brand, fault (asked once, never blocking, also when only "坏了" was said), place (which one / which
town), detailed address, phone. Coverage is checked as soon as brand and place are known, so an
unserved area is reported before asking anything else.

Corrections keep what still holds: a new brand or product keeps the fault when it applies to the new
product, and the place, address and phone; a new county re-checks coverage and re-offers windows
(the street address stays: it is said back in the summary, to be corrected by typing); several
corrections in one message apply together.
"""

from __future__ import annotations

from dialogs.address import correction_in, mask
from dialogs.booking import fault_text, offer
from dialogs.handoff import escalate, handoff_button
from dialogs.state import INTAKE, NEW, OFFERING, OUT_OF_AREA
from dialogs.texts import say, texts
from dialogs.turn import Turn
from regions.place import Place

# Facts whose change invalidates the coverage answer.
_COVERAGE_FACTS = {"brand", "product", "place"}


def merge(turn: Turn) -> set[str]:
    """Write the parse's facts into the state (later words win: that is how corrections work).

    Returns the names of the facts that changed.
    """
    p, s = turn.parse, turn.s
    changed: set[str] = set()
    old_product = s.product
    if p.brand and p.brand != s.brand:
        s.brand, s.brand_supported = p.brand, p.brand_supported
        changed.add("brand")
    if p.product and p.product != s.product:
        s.product = p.product
        changed.add("product")
    if "brand" in changed and not p.product:
        served = turn.services.catalog.products_of(s.brand)
        if len(served) == 1 and s.product != served[0] and (s.product is None or s.brand_supported):
            s.product = served[0]
            changed.add("product")
    # A specific cause beats a bare "打不开" said later.
    if p.fault and p.fault != s.fault and not (p.fault == "cannot_open" and s.fault not in (None, "other")):
        s.fault = p.fault
        changed.add("fault")
    elif s.fault and s.product != old_product and not _fault_applies(turn, s.fault, old_product, s.product):
        s.fault = None  # e.g. 指纹不识别 for a safe: ask again with the new product's faults
        s.asked = [q for q in s.asked if q != "fault"]
        changed.add("fault")
    place = p.place or _corrected_place(s.place, p.place_candidates)
    if place:
        new = place.to_json()
        if s.place and s.place["adcode"] == new["adcode"] and not new.get("town"):
            new["town"] = s.place.get("town")
        if new != s.place:
            s.place = new
            changed.add("place")
        s.place_candidates = []
    elif p.place_candidates:
        s.place_candidates = [c.to_json() for c in p.place_candidates]
        changed.add("place_candidates")
    if p.phone and p.phone != s.phone:
        s.phone = p.phone
        changed.add("phone")
    elif p.phone_invalid and not p.phone:
        turn.phone_invalid = True
    address = correction_in(p)
    if address and address != s.address:
        s.address = address
        changed.add("address")
    if p.when and (p.when.asap or p.when.start):
        s.when = p.when.to_json()
        changed.add("when")
    if changed & _COVERAGE_FACTS:
        s.covered = None
        s.coverage_reason = None
    return changed


def _fault_applies(turn: Turn, fault: str, old_product: str | None, new_product: str | None) -> bool:
    """Does ``fault`` still make sense for the corrected product?

    The price list says which faults are repaired on which product: a fault priced for the old product
    but not for the new one (指纹不识别 on a safe) does not carry over; "打不开" applies to both.
    """
    if fault == "other" or not old_product or not new_product:
        return True
    price = turn.services.price
    return price(new_product, fault).low is not None or price(old_product, fault).low is None


def _corrected_place(current: dict | None, candidates: tuple[Place, ...]) -> Place | None:
    """"不是温县是博爱县": two places named, one of them the current one, so the other is the correction.

    Not for one name shared by several districts (鼓楼区): those still ask which one.
    """
    if not current or len(candidates) != 2:
        return None
    others = [c for c in candidates if c.adcode != current["adcode"]]
    if len(others) != 1 or len(candidates) - len(others) != 1:
        return None
    same_name = (others[0].county or others[0].city) == (current.get("county") or current.get("city"))
    return None if same_name else others[0]


def advance(turn: Turn, *, changed: set[str] | frozenset[str] = frozenset()) -> None:
    """Decide the next move of the intake: report "not served", ask one question, or offer windows."""
    s = turn.s
    cat = turn.services.catalog
    if s.stage == NEW:
        s.stage = INTAKE
    if s.brand and s.brand_supported is False:
        _not_served(turn, "brand_unsupported", say(
            "unsupported_brand", brand=s.brand, supported="、".join(cat.brands) or "指定品牌"))
        return
    served = cat.products_of(s.brand)
    if s.brand and s.product and served and s.product not in served:
        _not_served(turn, "product_unsupported", say(
            "unsupported_product", brand=s.brand, product=cat.product_label(s.product),
            products="、".join(cat.product_label(p) for p in served)))
        return
    place = s.place_value
    if s.brand and place and s.covered is None:
        cov = turn.services.coverage(s.brand, s.product, place)
        if cov.need_town and not place.town:
            if turn.phone_invalid:
                _ask_phone(turn)
                return
            buttons = [("town", t, t, t) for t in cov.towns]
            turn.ask("town", say("ask.town_served" if cov.towns else "ask.town", place=place.label), buttons)
            return
        s.covered, s.coverage_reason = cov.covered, cov.reason
        if cov.covered is False:
            _not_served(turn, cov.reason or "out_of_area", say("out_of_area", brand=s.brand, place=place.label))
            return
    missing = _missing_basic(turn)
    if missing and s.asked.count(missing) >= _SHOW_LIMIT:
        # Asked twice already in this request, answered around but never answered: a third time would
        # only annoy; a person takes over with what is known (the customer hears why).
        escalate(turn, "misunderstood", text=say("handoff_unanswered", what=texts()["question_names"][missing]))
        return
    if missing:
        s.asked.append(missing)
    if turn.phone_invalid:
        _ask_phone(turn)
    elif not s.product:
        labels = cat.products
        turn.ask("product", say("ask.product"), [("product", lbl, lbl, code) for code, lbl in labels.items()])
    elif not s.brand:
        _ask_brand(turn)
    elif s.fault in (None, "other") and "fault" not in s.asked:
        # "坏了", "出毛病了" say nothing of the fault (the NLU reads them as other): asked once, with buttons.
        _ask_fault(turn)
    elif not place and s.place_candidates:
        name = s.place_candidates[0].get("county") or s.place_candidates[0].get("city") or ""
        buttons = [("place", _label(c), _label(c), c) for c in s.place_candidates]
        turn.ask("place", say("ask.place_choice", name=name), buttons)
    elif not place:
        turn.ask("place", say("ask.place"))
    elif not s.address:
        again = "address" in s.asked  # not counted toward a hand-off (see _COUNTED): only worded anew
        s.asked.append("address")
        turn.ask("address", say("ask.address_again" if again else "ask.address"))
    elif not s.phone:
        if changed & {"brand", "product", "fault", "place", "town", "address"}:
            # Everything but the phone is known: say back what we understood before asking.
            turn.lead(say("noted", brand=s.brand, product=cat.product_label(s.product), fault=fault_text(turn),
                          place=place.label, address=mask(s.address)))
        _ask_phone(turn)
    else:
        only_time = s.stage == OFFERING and not (changed - {"when"})
        offer(turn, summary=not only_time)


# Questions counted across the request (not only in a row): what the customer can say at once if they
# know it. The street address and the phone are left out: they are often given in each other's place.
_COUNTED = ("product", "brand", "place")
_SHOW_LIMIT = 2


def _missing_basic(turn: Turn) -> str | None:
    """The counted question ``advance`` is about to ask, if any (same order as there)."""
    s = turn.s
    if turn.phone_invalid:
        return None
    if not s.product:
        return "product"
    if not s.brand:
        return "brand"
    if s.fault in (None, "other") and "fault" not in s.asked:
        return None
    if not s.place_value and not s.place_candidates:
        return "place"
    return None


def _label(place: dict) -> str:
    parts = [place.get("province")]
    for key in ("city", "county", "town"):
        if place.get(key) and place[key] != parts[-1]:
            parts.append(place[key])
    return "".join(p for p in parts if p)


def _ask_fault(turn: Turn) -> None:
    """Ask once what is wrong, with the product's common faults and 其他 as buttons."""
    s, cat = turn.s, turn.services.catalog
    codes = list(cat.fault_choices.get(s.product or "") or tuple(cat.faults))
    if "other" not in codes and "other" in cat.faults:
        codes.append("other")
    buttons = [("fault", cat.fault_label(c), cat.fault_label(c), c) for c in codes]
    s.asked.append("fault")
    turn.ask("fault", say("ask.fault", brand=s.brand, product=cat.product_label(s.product)), buttons)


def _ask_phone(turn: Turn) -> None:
    turn.ask("phone", say("phone_invalid") if turn.phone_invalid else say("ask.phone"))
    turn.reasked = turn.reasked or turn.phone_invalid


def _ask_brand(turn: Turn) -> None:
    cat = turn.services.catalog
    s = turn.s
    brands = [b for b, products in cat.brands.items() if not s.product or s.product in products]
    buttons = [("brand", b, b, b) for b in brands]
    other, unknown = say("brand_other_button"), say("brand_dont_know_button")
    buttons += [("brand_other", other, other, None), ("brand_unknown", unknown, unknown, None)]
    turn.ask("brand", say("ask.brand", product=cat.product_label(s.product)), buttons)


def _not_served(turn: Turn, reason: str, text: str) -> None:
    """Say honestly that we cannot come, and offer a human. Never book it."""
    s = turn.s
    s.stage = OUT_OF_AREA
    s.covered = False
    s.coverage_reason = reason
    s.offers = []
    turn.say(text, [handoff_button()])
    s.expecting = None
