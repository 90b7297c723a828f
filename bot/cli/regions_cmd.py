"""``repairbot regions``: build the per-brand service areas from the seed pages, and audit them.

    repairbot regions build-service-areas [--seeds DIR]   # writes regions/data/service_areas/<brand>.yml
    repairbot regions audit [--json]                       # per brand: entries, resolved, normalised, unresolved

The seeds directory defaults to ``$REPAIRBOT_SEEDS`` or ``../shared/seeds`` beside the project. The YAML is
committed, so running the bot never needs the seeds.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from bot.config import PROJECT_ROOT, load_config


def register(subparsers: Any) -> None:
    """Add the ``regions`` sub-command group."""
    parser = subparsers.add_parser("regions", help="service areas: build from the seed pages, audit")
    sub = parser.add_subparsers(dest="regions_command", metavar="ACTION")
    build = sub.add_parser(
        "build-service-areas", help="parse the seed pages into regions/data/service_areas/*.yml"
    )
    build.add_argument(
        "--seeds", type=Path, help="directory of seed pages (default: $REPAIRBOT_SEEDS or ../shared/seeds)"
    )
    build.add_argument(
        "--out", type=Path, help="output directory (default: the package's data/service_areas)"
    )
    build.set_defaults(func=run_build)
    audit = sub.add_parser("audit", help="per brand: entries, resolved, normalised, unresolved, with reasons")
    audit.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    audit.set_defaults(func=run_audit)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def default_seeds_dir() -> Path:
    """``$REPAIRBOT_SEEDS`` or ``../shared/seeds`` relative to the project root."""
    return Path(os.environ.get("REPAIRBOT_SEEDS") or PROJECT_ROOT.parent / "shared" / "seeds")


def _brand_aliases() -> dict[str, list[str]]:
    brands = load_config().get("brands") or {}
    return {str(name): [str(a) for a in (spec or {}).get("aliases") or []] for name, spec in brands.items()}


def run_build(args: Any) -> int:
    from regions.coverage import SERVICE_AREAS_DIR
    from regions.service_areas import audit_counts, build_brand_areas, detect_brand

    seeds: Path = args.seeds or default_seeds_dir()
    out: Path = args.out or SERVICE_AREAS_DIR
    pages = sorted(p for p in seeds.glob("*") if p.is_file()) if seeds.is_dir() else []
    if not pages:
        print(f"no seed pages in {seeds}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    brands = _brand_aliases()
    for page in pages:
        text = page.read_text(encoding="utf-8", errors="replace")
        brand = detect_brand(text, brands)
        if brand is None:
            print(f"{page.name}: no known brand mentioned, skipped", file=sys.stderr)
            continue
        entries = build_brand_areas(text)
        doc = {
            "brand": brand,
            "source": page.name,
            "generated_by": "repairbot regions build-service-areas",
            "counts": audit_counts(entries),
            "entries": [e.to_dict() for e in entries],
        }
        path = out / f"{brand}.yml"
        with path.open("w", encoding="utf-8") as fh:
            fh.write(
                f"# Service areas of {brand}, derived from the seed page {page.name}. Do not edit by hand:\n"
            )
            fh.write(
                "# re-run `make service-areas`. status: resolved | normalised (renamed/abbreviated) | unresolved.\n"
            )
            yaml.safe_dump(doc, fh, allow_unicode=True, sort_keys=False, width=200)
        counts = doc["counts"]
        print(f"{brand}: {counts['entries']} entries → {path}")
    return 0


def audit_report() -> dict[str, Any]:
    """Per brand: counts and every non-trivial entry with its reason."""
    from regions.coverage import service_areas
    from regions.service_areas import RESOLVED, audit_counts

    report: dict[str, Any] = {}
    for brand, area in service_areas().items():
        report[brand] = {
            **audit_counts(area.entries),
            "cases": [
                {"raw": e.raw, "status": e.status, "place": _label(e), "reason": e.note}
                for e in area.entries
                if e.status != RESOLVED or _non_trivial(e.note)
            ],
        }
    return report


def _non_trivial(note: str | None) -> bool:
    """A note worth showing in the audit (repeats alone are only counted)."""
    parts = [p for p in (note or "").split("; ") if p]
    return any(
        not (p.startswith("listed ") and p.endswith(" times")) and not p.startswith("same place as")
        for p in parts
    )


def _label(e: Any) -> str | None:
    if e.adcode is None:
        return None
    parts = [p for p in (e.province, e.city, e.county, e.town) if p]
    return f"{''.join(dict.fromkeys(parts))} ({e.adcode})"


def run_audit(args: Any) -> int:
    try:
        return _print_audit(args)
    except BrokenPipeError:  # `repairbot regions audit | head`
        return 0


def _print_audit(args: Any) -> int:
    report = audit_report()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    for brand, r in report.items():
        print(
            f"{brand}: entries={r['entries']} resolved={r['resolved']} normalised={r['normalised']} "
            f"unresolved={r['unresolved']} (occurrences={r['occurrences']}, duplicates={r['duplicates']})"
        )
        for case in r["cases"]:
            place = case["place"] or "—"
            print(f"  [{case['status']}] {case['raw']} → {place}: {case['reason']}")
    return 0
