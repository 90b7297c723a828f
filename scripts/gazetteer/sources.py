"""Readers for the bundled data of the division packages (build time only).

Nothing here imports jionlp or cpca: their package code breaks on current setuptools or pulls in
hundreds of megabytes, and we only need the data files they ship. The packages are located with
``importlib.util.find_spec``, which finds a top-level package without executing it.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


def package_dir(name: str) -> Path:
    """Directory of an installed top-level package, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package {name!r} is not installed in this interpreter")
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass
class JioUnit:
    """One line of jionlp's hierarchy down to county level (towns are kept apart)."""

    name: str
    code: str
    short: str
    depth: int  # 0 province, 1 prefecture, 2 county
    parent: JioUnit | None = None
    towns: list[str] = field(default_factory=list)


def read_jionlp_hierarchy(zip_path: Path) -> list[JioUnit]:
    """Parse ``china_location.zip``: CRLF lines, tab depth = level; towns (depth 3) have no code."""
    with zipfile.ZipFile(zip_path) as zf:
        member = next(n for n in zf.namelist() if n.endswith(".txt"))
        text = zf.read(member).decode("utf-8")
    units: list[JioUnit] = []
    stack: list[JioUnit] = []
    for raw in text.splitlines():
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip("\t").split("\t")
        if depth <= 2:
            name = parts[0]
            code = parts[1] if len(parts) > 1 else ""  # a few Taiwan entries carry no code
            short = parts[2] if len(parts) > 2 else name
            del stack[depth:]
            unit = JioUnit(name, code, short, depth, stack[-1] if stack else None)
            stack.append(unit)
            units.append(unit)
        elif depth == 3 and len(stack) == 3:
            stack[2].towns.append(parts[0])
    return units


@dataclass(frozen=True)
class Change:
    """One dated rename/merge/move from jionlp's ``china_location_change.txt``."""

    date: str
    old_province: str
    old_prefecture: str
    old_county: str | None
    new_province: str
    new_prefecture: str
    new_county: str | None


def read_jionlp_changes(path: Path) -> list[Change]:
    """Lines look like ``date approver prov prov_s pref pref_s [county county_s]=>prov pref [county]``."""
    changes: list[Change] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip("\r")
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        old = left.split("\t")
        new = right.split("\t")
        date, old_prov, old_pref = old[0], old[2], old[4]
        old_county = old[6] if len(old) >= 8 else None
        new_prov, new_pref = new[0], new[1]
        new_county = new[2] if len(new) >= 3 else None
        changes.append(Change(date, old_prov, old_pref, old_county, new_prov, new_pref, new_county))
    return changes


@dataclass(frozen=True)
class CpcaRow:
    """One row of a cpca ``adcodes.csv``: 12-digit code cut to 6, name, coordinates (may be empty)."""

    code: str
    name: str
    lon: float | None
    lat: float | None


def read_cpca_csv(path: Path) -> dict[str, CpcaRow]:
    """Read ``adcodes.csv`` (adcode,name,longitude,latitude) keyed by the 6-digit code."""
    rows: dict[str, CpcaRow] = {}
    with path.open(encoding="utf-8") as fh:
        for rec in csv.DictReader(io.StringIO(fh.read())):
            code = rec["adcode"][:6]
            lon = float(rec["longitude"]) if rec.get("longitude") else None
            lat = float(rec["latitude"]) if rec.get("latitude") else None
            rows[code] = CpcaRow(code, rec["name"], lon, lat)
    return rows
