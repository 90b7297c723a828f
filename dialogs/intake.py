"""Intake: fold what the customer said into the state, check the service area, ask for what is missing.

Order of questions: product, brand, fault, place (which one / which town), phone. Coverage is checked as
soon as brand and place are known, so an unserved area is reported before asking anything else.
"""

from __future__ import annotations

from dialogs.booking import offer
from dialogs.handoff import handoff_button
from dialogs.state import INTAKE, NEW, OFFERING, OUT_OF_AREA
from dialogs.texts import say
from dialogs.turn import Turn

# Facts whose change invalidates the coverage answer.
_COVERAGE_FACTS = {"brand", "product", "place"}


def merge(turn: Turn) -> set[str]:
    """Write the parse's facts into the state (later words win: that is how corrections work).

    Returns the names of the facts that changed.
    """
    p, s = turn.parse, turn.s
    changed: set[str] = set()
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
    if p.place:
        new = p.place.to_json()
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
    if p.when and (p.when.asap or p.when.start):
        s.when = p.when.to_json()
        changed.add("when")
    if changed & _COVERAGE_FACTS:
        s.covered = None
        s.coverage_reason = None
    return changed


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
    if turn.phone_invalid:
        _ask_phone(turn)
    elif not s.product:
        labels = cat.products
        turn.ask("product", say("ask.product"), [("product", lbl, lbl, code) for code, lbl in labels.items()])
    elif not s.brand:
        _ask_brand(turn)
    elif not s.fault:
        codes = cat.fault_choices.get(s.product or "") or tuple(cat.faults)
        buttons = [("fault", cat.fault_label(c), cat.fault_label(c), c) for c in codes]
        turn.ask("fault", say("ask.fault", brand=s.brand, product=cat.product_label(s.product)), buttons)
    elif not place and s.place_candidates:
        name = s.place_candidates[0].get("county") or s.place_candidates[0].get("city") or ""
        buttons = [("place", _label(c), _label(c), c) for c in s.place_candidates]
        turn.ask("place", say("ask.place_choice", name=name), buttons)
    elif not place:
        turn.ask("place", say("ask.place"))
    elif not s.phone:
        if changed & {"brand", "product", "fault", "place", "town"}:
            # Everything but the phone is known: say back what we understood before asking.
            turn.lead(say("noted", brand=s.brand, product=cat.product_label(s.product),
                          fault=cat.fault_label(s.fault), place=place.label if place else ""))
        _ask_phone(turn)
    else:
        only_time = s.stage == OFFERING and not (changed - {"when"})
        offer(turn, summary=not only_time)


def _label(place: dict) -> str:
    parts = [place.get("province")]
    for key in ("city", "county", "town"):
        if place.get(key) and place[key] != parts[-1]:
            parts.append(place[key])
    return "".join(p for p in parts if p)


def _ask_phone(turn: Turn) -> None:
    turn.ask("phone", say("phone_invalid") if turn.phone_invalid else say("ask.phone"))


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
