"""The roster CSV: a header row, one technician per row; rows checked one by one.

Columns (names in the header, any order; see README "Technician roster CSV"):

========== ======== ==================================================================================
code       required stable key; re-importing a code updates that technician
name       required the name customers see
phone      optional mobile or landline; stored encrypted, never printed in full
brands     optional catalogue names or aliases, ``;``-separated; empty = every brand of his products
products   required ``safe``/``lock`` or their words (保险柜, 智能锁)
home       *        county he lives in: 6-digit code or place name (郑州市金水区)
lat, lon   *        his home in decimal degrees (more precise than the county); *home or lat+lon
covers     required counties, prefectures or provinces (codes or names), ``code/town`` for one town
days       optional workdays | mon_sat | every_day (default: config ``hours.days``)
hours      optional ``08:00-18:00`` (default: config ``hours``)
capacity   optional visits per window, 1–20 (default: ``booking.slot_capacity``)
active     optional yes/no (default yes)
========== ======== ==================================================================================

Lines whose first cell starts with ``#`` are comments. The file may be UTF-8 (with or without BOM, as
Excel writes it) or GB18030/GBK. A bad row is rejected with its line number, the column and why; the
good rows still count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.roster import fields
from bot.roster.fields import FieldError
from bot.roster.sync import TechnicianSpec

COLUMNS = ("code", "name", "phone", "brands", "products", "home", "lat", "lon", "covers", "days", "hours",
           "capacity", "active")
REQUIRED = ("code", "name", "products", "covers")
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000


class RosterFileError(ValueError):
    """The file as a whole cannot be read (encoding, header, size): nothing in it is used."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one row was not taken: its line in the file, the column, the reason."""

    row: int
    column: str
    reason: str
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason, "code": self.code}

    def __str__(self) -> str:
        who = f" ({self.code})" if self.code else ""
        return f"row {self.row}{who}, {self.column}: {self.reason}"


@dataclass(slots=True)
class RosterFile:
    """The rows that passed (as specs, with their line numbers) and the rejections."""

    specs: list[tuple[int, TechnicianSpec]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.specs) + len({r.row for r in self.rejected})


def decode(data: bytes) -> str:
    """UTF-8 (BOM tolerated) or, failing that, GB18030 (what Chinese Excel saves as "CSV")."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("the file is neither UTF-8 nor GB18030 text")


def read_roster(data: bytes | str, config: dict[str, Any], *, source: str = "import") -> RosterFile:
    """Check every row of a roster CSV; raises :class:`RosterFileError` when the file itself is unusable."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise RosterFileError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
        data = decode(data)
    reader = csv.reader(io.StringIO(data, newline=""))
    header, header_line = _header(reader)
    result = RosterFile()
    seen: dict[str, int] = {}
    catalogue = _Catalogue(fields.product_words(config), fields.brand_names(config),
                           int((config.get("booking") or {}).get("slot_capacity", 1)))
    try:
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            if len(result.specs) + len(result.rejected) >= MAX_ROWS:
                raise RosterFileError(f"more than {MAX_ROWS} rows")
            row = {name: (cells[i] if i < len(cells) else "") for i, name in header.items()}
            spec, errors = _row(row, catalogue, source)
            code = (row.get("code") or "").strip() or None
            if spec is not None and spec.code in seen:
                errors = [FieldError("code", f"duplicate of row {seen[spec.code]}")]
            if errors:
                result.rejected += [Rejection(line, e.column, e.reason, code) for e in errors]
                continue
            assert spec is not None
            seen[spec.code] = line
            result.specs.append((line, spec))
    except csv.Error as exc:
        raise RosterFileError(f"line {reader.line_num}: not valid CSV ({exc})") from exc
    if not result.specs and not result.rejected:
        raise RosterFileError(f"no technician rows after the header (line {header_line})")
    return result


def _header(reader: Any) -> tuple[dict[int, str], int]:
    """Column index → name from the first non-comment row; unknown or missing columns are file errors."""
    try:
        for cells in reader:
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            names = {i: c.strip().lower() for i, c in enumerate(cells) if c.strip()}
            unknown = [n for n in names.values() if n not in COLUMNS]
            if unknown:
                raise RosterFileError(f"unknown column(s) {', '.join(unknown)}; expected {', '.join(COLUMNS)}")
            missing = [n for n in REQUIRED if n not in names.values()]
            if "home" not in names.values() and not {"lat", "lon"} <= set(names.values()):
                missing.append("home (or lat and lon)")
            if missing:
                raise RosterFileError(f"header without column(s) {', '.join(missing)}")
            doubled = {n for n in names.values() if list(names.values()).count(n) > 1}
            if doubled:
                raise RosterFileError(f"column(s) {', '.join(sorted(doubled))} appear twice")
            return names, reader.line_num
    except csv.Error as exc:
        raise RosterFileError(f"line {reader.line_num}: not valid CSV ({exc})") from exc
    raise RosterFileError("the file is empty: expected a header row, e.g. " + ",".join(COLUMNS))


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """What rows are checked against, built once per file."""

    products: dict[str, str]
    brands: dict[str, str]
    capacity: int


def _row(row: dict[str, str], catalogue: _Catalogue, source: str) -> tuple[TechnicianSpec | None, list[FieldError]]:
    """One row → a spec, or every problem found in it (all columns are checked, not just the first)."""
    errors: list[FieldError] = []

    def check(parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except FieldError as exc:
            errors.append(exc)
            return None

    get = row.get
    code = check(lambda: fields.code(get("code", "")))
    name = check(lambda: fields.name(get("name", "")))
    phone = check(lambda: fields.phone(get("phone", "")))
    brands = check(lambda: fields.brands(get("brands", ""), catalogue.brands))
    products = check(lambda: fields.products(get("products", ""), catalogue.products))
    lat = check(lambda: fields.coordinate(get("lat", ""), "lat"))
    lon = check(lambda: fields.coordinate(get("lon", ""), "lon"))
    home = None
    if get("home", "").strip():
        home = check(lambda: fields.place_code(get("home", ""), "home", county_only=True))
    covers = check(lambda: fields.covers(get("covers", "")))
    days = check(lambda: fields.days(get("days", "")))
    hours = check(lambda: fields.hours(get("hours", "")))
    capacity = check(lambda: fields.capacity(get("capacity", ""), catalogue.capacity))
    active = check(lambda: fields.active(get("active", "")))
    if (lat is None) != (lon is None) and not any(e.column in ("lat", "lon") for e in errors):
        errors.append(FieldError("lon" if lon is None else "lat", "give both lat and lon, or neither"))
    if home is None and lat is None and not any(e.column in ("home", "lat", "lon") for e in errors):
        errors.append(FieldError("home", "expected the county he lives in, or lat and lon"))
    if errors:
        return None, errors
    coords = (lat, lon) if lat is not None and lon is not None else None
    if home is None and coords is not None:
        home = fields.nearest_county(*coords)
    override = {**(hours or {}), **({"days": days} if days else {})}
    return TechnicianSpec(
        code=code, name=name, phone=phone, base_adcode=home, products=products, brands=brands, covers=covers,
        hours=override or None, slot_capacity=capacity, active=active, home=coords, source=source,
    ), []
