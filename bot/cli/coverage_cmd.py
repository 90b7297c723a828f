"""``repairbot coverage BRAND "PLACE TEXT"``: is the place in the brand's service area? Prints one JSON object.

    repairbot coverage 丹斯提尼 "东莞茶山镇"
    {"brand": "丹斯提尼", "brand_supported": true, "query": "东莞茶山镇", "place": {...}, "place_candidates": [],
     "covered": true, "need_town": false, "towns": ["茶山镇", ...], "reason": "在服务范围内：东莞市茶山镇"}

The brand may be any spelling listed in config.yml (name or alias); ``covered`` is null when it cannot be
decided yet (a town is needed, the place is ambiguous or unknown).
"""

from __future__ import annotations

import json
from typing import Any

from bot.config import load_config


def register(subparsers: Any) -> None:
    """Add the ``coverage`` sub-command."""
    parser = subparsers.add_parser("coverage", help="check a place against a brand's service area (JSON)")
    parser.add_argument("brand", help="brand name or alias as in config.yml")
    parser.add_argument("place", help="the place as a customer would write it")
    parser.set_defaults(func=run)


def canonical_brand(name: str) -> tuple[str, bool]:
    """Config name for a brand spelling and whether we service it; unknown names come back as given."""
    brands = load_config().get("brands") or {}
    wanted = name.strip().casefold()
    for brand, spec in brands.items():
        spec = spec or {}
        if wanted in {str(brand).casefold(), *(str(a).casefold() for a in spec.get("aliases") or [])}:
            return str(brand), bool(spec.get("supported"))
    return name.strip(), False


def coverage_report(brand_text: str, query: str) -> dict[str, Any]:
    """The JSON object printed by ``repairbot coverage``."""
    import regions

    brand, supported = canonical_brand(brand_text)
    match = regions.find_place(query, expecting=True)
    out: dict[str, Any] = {
        "brand": brand,
        "brand_supported": supported,
        "query": query,
        "place": match.place.to_json() if match.place else None,
        "place_candidates": [p.to_json() for p in match.candidates],
    }
    if match.place is not None:
        cov = regions.covers(brand, match.place)
        reason = cov.reason
    elif match.candidates:
        served = [p.label for p in match.candidates if regions.covers(brand, p).covered]
        cov = regions.Coverage(None, "")
        reason = f"地点不唯一（{len(match.candidates)} 处）：" + "、".join(p.label for p in match.candidates)
        if served:
            reason += f"；其中在服务范围内：{'、'.join(served)}"
    else:
        cov = regions.Coverage(None, "")
        reason = "没有识别出地点"
    if not supported:
        reason = f"{brand} 不是我们服务的品牌" + (f"；{reason}" if match.place is None else "")
    out.update(
        covered=cov.covered if supported else False if match.place else None,
        need_town=cov.need_town,
        towns=list(cov.towns),
        reason=reason,
        entry=cov.entry,
        note=match.note,
    )
    return out


def run(args: Any) -> int:
    print(json.dumps(coverage_report(args.brand, args.place), ensure_ascii=False))
    return 0
