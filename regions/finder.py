"""Read a place out of Chinese free text: ``find_place("焦作温县 保险柜打不开")`` → 河南省焦作市温县.

How it works, in one pass over the text:
1. an Aho-Corasick automaton finds every gazetteer name (full names, short names, old names of
   renamed units, prefecture abbreviations, towns of 东莞/中山/儋州/嘉峪关 and Hainan);
2. leftmost-longest selection keeps the names the text is made of (黔西南|安龙县, not 黔西|南安);
   names that only partly overlap a kept one stay as weaker readings (济南市|中区 vs 济南|市中区);
3. provinces and prefectures become context; each county/town reading is scored by its own
   strength, agreement with the context (the named city wins), and whether its clause talks about
   the device (保险柜在老家沭阳) or about the person (我在苏州上班);
4. a named prefecture (or town-bearing county) that no found place agrees with gets a homophone
   look-up right after it, inside it only (焦作文县 → 温县, 苏州张家刚 → 张家港市, 琼海嘉记镇 → 嘉积镇);
   with no context at all, only a single-slip typo of a full county name is accepted (无中区 → 吴中区);
5. one best place wins; a tie between different places is returned as candidates, never a guess.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import ahocorasick

from regions.gazetteer import COUNTYLESS, OLD_AREA_PREFIX, SUBAREA, Division, Gazetteer, gazetteer
from regions.pinyin_index import char_pinyin, typed_key
from regions.place import Place, PlaceMatch

# Reading strengths: how much a surface form by itself says "this is the place".
FULL, OLD, HOMOPHONE, SHORT, TOWN_SHORT = 3.0, 2.5, 2.5, 2.0, 1.5
CONTEXT_BONUS, ADJACENT_BONUS, ADJACENT_CONFLICT = 3.0, 1.0, -3.0
DEVICE_CUE_BONUS, PERSON_CUE_PENALTY, PARTIAL_PENALTY = 3.0, -2.0, -1.0
TIE = 0.01
MAX_TEXT = 4000  # longer messages are read from their start: an address is never that far in
MAX_HITS = 300

# Words that say a clause is about where the device is, or about where the person is instead.
DEVICE_CUES = (
    "保险柜",
    "保险箱",
    "密码箱",
    "保管箱",
    "柜",
    "锁",
    "房子",
    "家里",
    "屋里",
    "店里",
    "店在",
    "店开在",
    "老家的",  # 锁是宁波老家的; 我老家在X alone says where the person is from, not the device
    "厂里",
    "仓库",
    "公司里",
    "办公室",
    "放在",
    "装在",
    "这边",
    "这里",
)
PERSON_CUES = (
    "上班", "工作", "出差", "打工", "上学", "读书", "读大学", "人在", "现在在", "目前在", "我住", "现住", "住在",
    "刚从", "旅游",
)
# A name followed by these is a street or building name (中山路, 长安街), not the place itself.
# 中山西路 and 鞍山西道 too: a direction between the name and the street word; 雍阳西道3号 too (道 with
# a house number straight after is a road, where 道 alone could begin another word).
# 中山一路, 解放二路, 人民三街: a numbered road.
STREET_AFTER = re.compile(
    r"(?:[东南西北中]?(?:路|街|巷|大道|大街|胡同)|[东南西北中]道|道\d|[东南西北中]?[一二三四五六七八九十]{1,2}(?:路|马路|街))"
)
# 祥云镇, 大丰街道: a town or street named after a county elsewhere is not that county; nor is a shop,
# a dish or a make named after one (X小吃, X拉面, X汽车 are found anywhere).
POI_AFTER = re.compile(
    r"(?:村|小区|花园|广场|大厦|公园|社区|中学|小学|大学|学院|医院|酒店|宾馆|商场|超市|机场|火车站|镇|乡|街道"
    r"|小吃|豆浆|拉面|米粉|米线|火锅|烤鸭|烧烤|面馆|饭店|餐厅|饭馆|菜馆|快餐|早餐|包子|饺子|凉皮|烩面|汽车|啤酒|白酒)"
)
# 我们在 / 住在 / 家在 …: what comes right before a location (not 现在/正在, which only contain 在)
LOCATIVE_BEFORE = frozenset({"我在", "们在", "家在", "住在", "人在", "是在", "就在", "位于", "地址"})
SHARED_SUFFIX = frozenset("市省县区州")
CLAUSE_BREAK = re.compile(r"[，,。．.!！?？;；\n\r]")
# Up to the last clause break of a stretch: greedy, so the match ends right after it.
_LAST_BREAK = re.compile(r".*" + CLAUSE_BREAK.pattern, re.DOTALL)
GAP_FILLER = re.compile(r"^[\s的省市州县区]*$")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
# Most texts (the NLU's, NFKC-folded) have no full-width character: one search instead of a translate.
_HAS_FULLWIDTH = re.compile("[\uff01-\uff5e\u3000]")
# A county name typed by sound ends with its suffix; most texts have no suffix character at all.
_TYPED_COUNTY = re.compile(r"[\u4e00-\u9fff]{2,4}?[县区市旗]")
_COUNTY_SUFFIX = re.compile(r"[县区市旗]")
# "Does the clause say any of these words?" in one search each (what the clause cue asks per candidate).
_DEVICE_CUE = re.compile("|".join(map(re.escape, DEVICE_CUES)))
_PERSON_CUE = re.compile("|".join(map(re.escape, PERSON_CUES)))


@dataclass(frozen=True, slots=True)
class Sense:
    """One reading of a surface form."""

    kind: str  # province | prefecture | county | town
    code: str  # adcode; for towns and sub-areas, the host county-level unit
    strength: float
    town: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """How a resolved place was read: the surface form, its strength and the context that backed it."""

    division: Division
    town: str | None
    surface: str | None  # None for a homophone correction
    strength: float
    context: tuple[tuple[str, Sense], ...]
    note: str | None


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    surface: str
    senses: tuple[Sense, ...]
    partial: bool = False
    hidden: bool = False  # a short name inside or across an everyday word (重新安装, 每天等)


@dataclass(slots=True)
class _Candidate:
    division: Division
    town: str | None
    score: float
    hit: _Hit | None
    note: str | None
    span: tuple[int, int]
    strength: float = FULL
    context: tuple[tuple[str, Sense], ...] = ()

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.division.adcode, self.town)


class PlaceFinder:
    """Index over the gazetteer; ``find`` is the per-message entry point (pure, thread-safe)."""

    def __init__(self, gz: Gazetteer) -> None:
        self.gz = gz
        senses: dict[str, list[Sense]] = defaultdict(list)
        area_names: set[str] = set()
        for p in gz.provinces.values():
            senses[p.name].append(Sense("province", p.adcode, FULL))
            if p.short != p.name:
                senses[p.short].append(Sense("province", p.adcode, SHORT))
            area_names.update((p.name, p.short))
        for p in gz.prefectures.values():
            senses[p.name].append(Sense("prefecture", p.adcode, FULL))
            area_names.add(p.name)
        for alias, code, _note in gz.prefecture_aliases:
            if len(alias) < 2 or alias.endswith("直辖"):
                continue
            if code in gz.prefectures:
                senses[alias].append(
                    Sense("prefecture", code, SHORT, note=f"{alias} = {gz.prefectures[code].name}")
                )
                area_names.add(alias)
            elif code in gz.provinces:
                senses[alias].append(Sense("province", code, SHORT))
                area_names.add(alias)
        for d in gz.counties.values():
            if d.kind == COUNTYLESS:
                # 东莞 is both the place (with a town to ask for) and the context of its towns
                for s in {d.name, d.short}:
                    senses[s].append(Sense("county", d.adcode, FULL if s == d.name else SHORT))
                    senses[s].append(Sense("prefecture", d.adcode, FULL if s == d.name else SHORT))
                area_names.update((d.name, d.short))
        for d in gz.counties.values():
            if d.kind == COUNTYLESS:
                continue
            senses[d.name].append(Sense("county", d.adcode, FULL))
            if len(d.short) >= 2 and d.short != d.name and d.short not in area_names:
                senses[d.short].append(Sense("county", d.adcode, SHORT))
        # 大理市 is a county-level city named after its prefecture (大理州). Written right before
        # another county of that prefecture ("大理市剑川县"), it is the prefecture, mis-suffixed.
        self._seat_as_prefecture: dict[str, Sense] = {}
        for d in gz.counties.values():
            pref = gz.prefectures.get(d.prefecture_code)
            if pref is not None and pref.adcode != d.adcode and d.name == pref.short + "市":
                self._seat_as_prefecture[d.adcode] = Sense(
                    "prefecture", pref.adcode, SHORT, note=f"{d.name} before a county = {pref.name}"
                )
        self._weak = gz.weak_names | {alias for alias, _code, weak, _note in gz.county_aliases if weak}
        for alias, code, _weak, note in gz.county_aliases:
            if code in gz.counties:
                senses[alias].append(Sense("county", code, SHORT, note=f"{alias} = {note}"))
        for d in gz.subareas:
            note = f"{d.name}: {d.note}"
            senses[d.name].append(Sense("town", d.adcode, FULL, town=d.name, note=note))
            if len(d.short) >= 2 and d.short not in area_names:
                senses[d.short].append(Sense("town", d.adcode, SHORT, town=d.name, note=note))
        current = set(senses)
        for c in gz.changes:
            if c.kind == "code" or c.new_adcode not in gz.counties or c.old_name == c.new_name:
                continue
            note = f"{c.old_prefecture}{c.old_name} {c.kind} → {c.new_name}" + (
                f" ({c.date})" if c.date else ""
            )
            senses[c.old_name].append(Sense("county", c.new_adcode, OLD, note=note))
            old_short = _strip_suffix(c.old_name)
            if len(old_short) >= 2 and old_short not in current and old_short not in area_names:
                senses[old_short].append(Sense("county", c.new_adcode, OLD - 0.5, note=note))
        for host, towns in gz.towns.items():
            for t in towns:
                senses[t.name].append(Sense("town", host, FULL, town=t.name))
                if len(t.short) >= 2 and t.short != t.name:
                    senses[t.short].append(Sense("town", host, TOWN_SHORT, town=t.name))
        for surface, key, note in gz.old_area_names:
            senses[surface].append(Sense("prefecture", key, SHORT, note=note))
        for surface in gz.blocked_names:
            senses[surface] = []  # wins the longest match and means nothing: 雄安新区 is not 安新县
        # Everyday words hiding short names, read only when the text has a short-name reading for them to
        # hide (most messages have none), and then only around it. They are filed by their first two
        # characters: a dict look-up per position of that stretch, where an automaton of ~20,000 words
        # is slow per character. A one-character word is left out: it lies inside any name it overlaps,
        # and only a word reaching past a name hides it.
        self._soft_words = frozenset(w for w in gz.soft_words if w not in senses and len(w) >= 2)
        self._soft_lengths: dict[str, tuple[int, ...]] = {}
        for word in sorted(self._soft_words):
            self._soft_lengths[word[:2]] = (*self._soft_lengths.get(word[:2], ()), len(word))
        self._longest_soft = max(map(len, self._soft_words), default=0)
        self.senses = {k: tuple(v) for k, v in senses.items()}
        self._places: dict[tuple[str, str | None], Place] = {}
        # Surfaces whose every reading is weaker than a full name (short names, old short names).
        self._only_weak = frozenset(k for k, ss in self.senses.items() if ss and all(s.strength < FULL for s in ss))
        self.automaton = ahocorasick.Automaton()
        for surface, ss in self.senses.items():
            self.automaton.add_word(surface, (surface, ss))
        self.automaton.make_automaton()
        # A name is made of name characters only: the automaton reads just the runs of them (it is slow
        # on a character that starts no name, and most of a message is such characters).
        name_chars = sorted({ch for surface in self.senses for ch in surface})
        shortest = min(map(len, self.senses), default=1)  # a run shorter than any name holds none
        self._name_runs = re.compile("[" + "".join(map(re.escape, name_chars)) + f"]{{{max(1, shortest)},}}")
        # Homophone keys per province/prefecture (context look-ups) and nationally (bare answers).
        self.pinyin_in: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.pinyin_all: dict[str, set[str]] = defaultdict(set)
        for d in gz.counties.values():
            for keys, full in ((d.pinyin_name, True), (d.pinyin_short, False)):
                for key in keys:
                    for outer in (d.province_code, d.prefecture_code, d.adcode):
                        if outer:
                            self.pinyin_in[outer][key].add(d.adcode)
                    if full:
                        self.pinyin_all[key].add(d.adcode)
            for t in gz.towns.get(d.adcode, []):
                for key in t.pinyin:
                    self.pinyin_in[d.adcode]["town:" + key].add(t.name)

    # ------------------------------------------------------------------ public
    def find(self, text: str, *, expecting: bool = False) -> PlaceMatch:
        """Resolve the device's place in ``text`` (see module docstring)."""
        return self._explain(text, expecting, with_reading=False)[0]

    def prefecture_only(self, text: str) -> Division | None:
        """The one prefecture a text names when it names no county (苏州市 as a whole service area)."""
        text = _halfwidth(text)
        found = {
            s.code
            for h in self._hits(text)
            if not h.partial and not _names_other_province(h)  # 海南 alone is the province, not 海南州
            for s in h.senses
            if s.kind == "prefecture" and s.code in self.gz.prefectures
        }
        return self.gz.prefectures[next(iter(found))] if len(found) == 1 else None

    def explain(self, text: str, *, expecting: bool = False) -> tuple[PlaceMatch, Reading | None]:
        """Like ``find``, plus how the winning reading was made (for audits of the seed lists)."""
        return self._explain(text, expecting, with_reading=True)

    def _explain(self, text: str, expecting: bool, with_reading: bool) -> tuple[PlaceMatch, Reading | None]:
        if not text:
            return PlaceMatch(), None
        text = _halfwidth(text)
        hits = self._hits(text)
        bare = expecting and len(_significant(text)) <= 8
        if not hits:  # no name, no context: only a county typed by sound may be there
            return self._decide(self._homophones(text, hits, [], [], bare), with_reading)
        contexts = [
            (h, s)
            for h in hits
            if not h.partial and not h.hidden
            for s in h.senses
            if s.kind in ("province", "prefecture")
        ]
        host_hits = [(h, s) for h in hits if not h.partial for s in h.senses if s.kind == "county"]
        seats = self._seats_before_counties(hits, host_hits)
        contexts += seats
        cands = self._candidates(text, hits, contexts, host_hits, bare)
        if seats:
            # the seat city served as the prefecture; it is not also a place of its own here
            seat_hits = [h for h, _ in seats]
            cands = [c for c in cands if not any(c.hit is h for h in seat_hits)]
        # a town-bearing county (琼海) is the context for a misspelt town after it (琼海嘉记镇)
        hosts = [(h, s) for h, s in host_hits if (d := self.gz.counties.get(s.code)) and d.has_towns]
        cands += self._homophones(text, hits, contexts + hosts, cands, bare)
        if not cands:
            # 我在襄樊 / 伊克昭盟: an old prefecture alone asks which of today's counties, never a guess.
            old = {s.code for _h, s in contexts if s.code.startswith(OLD_AREA_PREFIX)}
            if len(old) == 1:
                key = next(iter(old))
                places = tuple(d.place() for d in self.gz.old_area_counties(key))
                note = f"old prefecture {key.removeprefix(OLD_AREA_PREFIX)}: which county?"
                return PlaceMatch(candidates=places, note=note), None
        return self._decide(cands, with_reading)

    # ------------------------------------------------------------------ steps
    def _seats_before_counties(self, hits, host_hits) -> list[tuple[_Hit, Sense]]:
        """大理市 written in full and directly followed by another county of 大理州 reads as 大理州."""
        out = []
        for h, s in host_hits:
            seat = self._seat_as_prefecture.get(s.code)
            if seat is None or h.surface != self.gz.counties[s.code].name:
                continue
            if any(
                nh.start == h.end and ns.code != s.code and self.gz.counties[ns.code].prefecture_code == seat.code
                for nh, ns in host_hits
            ):
                out.append((h, seat))
        return out

    def _hits(self, text: str) -> list[_Hit]:
        # Every name as a plain tuple (start, -length, index, end, surface, senses): sorted by start, the
        # longer first (the index keeps equal spans in the order found, as a stable sort would), with no
        # key function; a _Hit is made only for the names the text is read as, not for those nested in them.
        raw: list[tuple[int, int, int, int, str, tuple[Sense, ...]]] = []
        limit = MAX_HITS * 4
        names_in = self.automaton.iter
        # _names_in inlined (one generator frame less per name): the same hits in the same order.
        for run in self._name_runs.finditer(text):
            past = run.start() + 1  # the automaton reports the index of a name's last character
            for end, (surface, senses) in names_in(run.group()):
                end += past
                raw.append((end - len(surface), -len(surface), len(raw), end, surface, senses))
                if len(raw) >= limit:
                    break
            else:
                continue
            break
        if not raw:
            return []  # most messages name no place at all
        if len(raw) > 1:
            raw.sort()
        kept: list[_Hit] = []
        last_end = 0
        for start, _longest, _index, end, surface, senses in raw:
            if start >= last_end:
                kept.append(_Hit(start, end, surface, senses))
                last_end = end
            elif end > last_end and start == last_end - 1 and text[start] in SHARED_SUFFIX:
                # 济南市|中区 vs 济南|市中区: a name may begin with the suffix character the kept one ends on
                kept.append(_Hit(start, end, surface, senses, partial=True))
        blocked = [(start, end) for start, _longest, _index, end, _surface, senses in raw if not senses]
        only_weak = self._only_weak
        out = []
        for h in kept[:MAX_HITS]:
            weak = h.surface in only_weak
            if weak and blocked and any(_straddles(h, start, end) for start, end in blocked):
                continue  # 凯德保险柜: 德保 is cut across 保险, the word the text is really made of
            # The three characters after the name, read in place (no slice: neither pattern looks back).
            if STREET_AFTER.match(text, h.end, h.end + 3):
                continue
            if (weak or not h.senses) and POI_AFTER.match(text, h.end, h.end + 3):
                continue
            out.append(h)
        shorts = [h for h in out if h.surface in only_weak]
        if shorts and self._soft_words:
            # Only everyday words overlapping a short name count: read just the stretch around them.
            lo = max(0, min(h.start for h in shorts) - self._longest_soft + 1)
            hi = max(h.end for h in shorts) + self._longest_soft - 1
            soft = self._soft_spans(text, lo, hi)
            for h in shorts:
                h.hidden = any(
                    (start < h.end and h.start < end) and not (h.start <= start and end <= h.end)
                    for start, end in soft
                ) and not any(o is not h and o.senses and _next_to(text, o, h) for o in out)
        return out

    def _soft_spans(self, text: str, lo: int, hi: int) -> list[tuple[int, int]]:
        """Every everyday word (``gz.soft_words``) inside ``text[lo:hi]`` as a span, overlaps included."""
        hi = min(hi, len(text))
        lengths, words = self._soft_lengths.get, self._soft_words
        spans = []
        for i in range(lo, hi - 1):
            for length in lengths(text[i : i + 2], ()):
                end = i + length
                if end <= hi and text[i:end] in words:
                    spans.append((i, end))
        return spans

    def _names_in(self, text: str) -> Iterator[tuple[int, tuple[str, tuple[Sense, ...]]]]:
        """``automaton.iter(text)``: the same matches in the same order (by end), run by run."""
        for run in self._name_runs.finditer(text):
            start = run.start()
            for end, value in self.automaton.iter(run.group()):
                yield start + end, value

    def _candidates(self, text, hits, contexts, host_hits, bare) -> list[_Candidate]:
        gz = self.gz
        cands: list[_Candidate] = []
        for h in hits:
            weak = h.surface in self._weak
            # Per hit, not per sense (鼓楼区 has a sense in five cities): the clause and the locative.
            said_as_place: bool | None = None
            cue: float | None = None
            for s in h.senses:
                if s.kind not in ("county", "town"):
                    continue
                d = gz.counties.get(s.code)
                if d is None:
                    continue
                if s.kind == "town":
                    host_named = any(hs.code == s.code for hh, hs in host_hits if hh is not h)
                    ctx_ok = host_named or any(gz.contains(cs.code, d) for ch, cs in contexts if ch is not h)
                    if s.strength < FULL and not (ctx_ok or bare):
                        continue
                    score = s.strength + (CONTEXT_BONUS + ADJACENT_BONUS if host_named else 0.0)
                else:
                    ctx_ok = False
                    score = s.strength
                agreeing = [(ch, cs) for ch, cs in contexts if ch is not h and gz.contains(cs.code, d)]
                consistent = [ch for ch, _cs in agreeing]
                if consistent:
                    score += CONTEXT_BONUS
                    ctx_ok = True
                    if any(_adjacent(text, ch, h) for ch in consistent):
                        score += ADJACENT_BONUS
                elif any(_adjacent(text, ch, h) for ch, _ in contexts if ch is not h):
                    score += ADJACENT_CONFLICT
                if (weak and not (ctx_ok or bare)) or (h.hidden and not bare):
                    # Only a weak or hidden name needs to have been said as a place (asked once per hit).
                    if said_as_place is None:
                        said_as_place = h.surface not in self.gz.generic_names and _locative(text, h)
                    if weak and not (ctx_ok or bare or said_as_place):
                        continue
                    if h.hidden and not (bare or said_as_place or any(_adjacent(text, ch, h) for ch in consistent)):
                        continue  # 洛阳…重新安装: 新安 inside 安装 counts only written right after its city
                if h.partial:
                    score += PARTIAL_PENALTY
                if cue is None:
                    cue = _clause_cue(text, h.start, h.end)
                score += cue
                note = s.note
                used = tuple((ch.surface, cs) for ch, cs in agreeing)
                cands.append(_Candidate(d, s.town, score, h, note, (h.start, h.end), s.strength, used))
        return cands

    def _homophones(self, text, hits, contexts, cands, bare) -> list[_Candidate]:
        """Look up pinyin right after a named area that no found county agrees with."""
        gz = self.gz
        out: list[_Candidate] = []
        for ch, cs in contexts:
            if ch.partial:
                continue
            outer = gz.counties.get(cs.code) or gz.prefectures.get(cs.code) or gz.provinces.get(cs.code)
            if outer is None:
                continue
            agreeing = [c for c in cands if c.hit is not ch and gz.contains(cs.code, c.division)]
            if agreeing:
                continue
            nested = [h for h in hits if h.start >= ch.end and _gap_ok(text, ch.end, h.start)]
            if nested and any(
                s.kind in ("province", "prefecture") and _inside(gz, s.code, cs.code)
                for s in nested[0].senses
            ):
                continue  # 湖南长沙: the next name is a place inside this one, not a typo
            if nested and not nested[0].senses:
                continue  # a blocked phrase (市中心, 开发区) follows
            found = self._pinyin_after(text, ch.end, self.pinyin_in.get(cs.code, {}))
            if found is None:
                continue
            (start, end), codes, typed = found
            towns = [c for c in codes if not c.isdigit()]
            used = ((ch.surface, cs),)
            if towns and gz.counties.get(cs.code):
                host = gz.counties[cs.code]
                for t in towns:
                    note = f"homophone: {typed} → {t}"
                    score = HOMOPHONE + CONTEXT_BONUS + ADJACENT_BONUS
                    out.append(_Candidate(host, t, score, None, note, (start, end), HOMOPHONE, used))
                continue
            for code in codes:
                d = gz.counties[code]
                exact = typed in (d.name, d.short)  # 北京朝阳: 朝阳 is also a prefecture elsewhere
                strength = SHORT if exact else HOMOPHONE
                note = f"{typed} → {d.name}" if exact else f"homophone: {typed} → {d.name}"
                score = strength + CONTEXT_BONUS + ADJACENT_BONUS + _clause_cue(text, start, end)
                out.append(_Candidate(d, None, score, None, note, (start, end), strength, used))
        if not cands and not out and bare:
            # A bare answer to "which county?": national look-up; several matches come back as candidates.
            body = _significant(text)
            for key in (typed_key(body),):
                for code in self.pinyin_all.get(key, ()):
                    d = gz.counties[code]
                    note = f"homophone: {body} → {d.name}"
                    out.append(_Candidate(d, None, HOMOPHONE, None, note, (0, len(text)), HOMOPHONE))
        elif not cands and not out:
            # Unique strong match: a three-plus-character county name typed by sound (无中区 → 吴中区).
            for m in _TYPED_COUNTY.finditer(text) if _COUNTY_SUFFIX.search(text) else ():
                for i in range(m.start(), m.end() - 2):
                    window = text[i : m.end()]
                    codes = self.pinyin_all.get(typed_key(window), set())
                    d = gz.counties[next(iter(codes))] if len(codes) == 1 else None
                    # without a named city, one slip of the keyboard at most: a character besides the suffix agrees
                    if (
                        d is not None
                        and len(d.name) == len(window)
                        and any(a == b for a, b in zip(d.name[:-1], window[:-1], strict=True))
                    ):
                        note = f"homophone: {window} → {d.name}"
                        out.append(_Candidate(d, None, HOMOPHONE, None, note, (i, m.end()), HOMOPHONE))
                        break
        return out

    def _pinyin_after(self, text: str, pos: int, index) -> tuple[tuple[int, int], set[str], str] | None:
        if not index:
            return None
        i = pos
        while i < len(text) and text[i] in " \t的":
            i += 1
        chunk = ""
        while i + len(chunk) < len(text) and len(chunk) < 5 and "\u4e00" <= text[i + len(chunk)] <= "\u9fff":
            chunk += text[i + len(chunk)]
        readings = [char_pinyin(ch) for ch in chunk]  # each character read once, not once per window
        for length in range(len(chunk), 1, -1):
            window = chunk[:length]
            key = " ".join(readings[:length])  # typed_key(window)
            codes = index.get(key) or index.get("town:" + key)
            if codes:
                return (i, i + length), set(codes) if index.get(key) else {c for c in codes}, window
        return None

    def _decide(self, cands: list[_Candidate], with_reading: bool = True) -> tuple[PlaceMatch, Reading | None]:
        if not cands:
            return PlaceMatch(), None
        if len(cands) == 1:
            return self._resolved(cands[0], with_reading)  # the usual case: nothing to rank
        best: dict[tuple[str, str | None], _Candidate] = {}
        for c in cands:
            if c.key not in best or c.score > best[c.key].score:
                best[c.key] = c
        # a county named together with one of its towns is that town (琼海潭门镇)
        with_town = {adcode for adcode, town in best if town}
        for key in list(best):
            if key[1] is None and key[0] in with_town and best[key].division.kind != SUBAREA:
                del best[key]
        ranked = sorted(best.values(), key=lambda c: -c.score)
        top = [c for c in ranked if ranked[0].score - c.score < TIE]
        if len(top) == 1:
            return self._resolved(top[0], with_reading)
        places = tuple(dict.fromkeys(c.division.place(c.town) for c in sorted(top, key=lambda c: c.key)))
        return PlaceMatch(candidates=places, note="ambiguous: " + "、".join(p.label for p in places)), None

    def _resolved(self, c: _Candidate, with_reading: bool) -> tuple[PlaceMatch, Reading | None]:
        """The match of the one winning candidate (and how it was read, when asked)."""
        reading = Reading(
            c.division, c.town, c.hit.surface if c.hit else None, c.strength, c.context, c.note
        ) if with_reading else None  # find() has no use for it
        return PlaceMatch(place=self._place(c.division, c.town), note=c.note, span=c.span), reading

    def _place(self, division: Division, town: str | None) -> Place:
        """``division.place(town)``, made once per place: a Place is immutable, and the same few come up
        again and again (a race only makes an equal one twice)."""
        key = (division.adcode, town)
        place = self._places.get(key)
        if place is None:
            place = self._places[key] = division.place(town)
        return place


def _halfwidth(text: str) -> str:
    """The text as the finder reads it: its first ``MAX_TEXT`` characters, full-width forms folded."""
    text = text[:MAX_TEXT]
    return text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text


def _strip_suffix(name: str) -> str:
    for suf in ("自治县", "县", "区", "市", "旗"):
        if name.endswith(suf) and len(name) - len(suf) >= 2:
            return name[: -len(suf)]
    return name


def _locative(text: str, h: _Hit) -> bool:
    """我们在安宁 / 住东方这边: an everyday-word name said as a location, standing alone."""
    before = text[max(0, h.start - 2) : h.start]
    after = text[h.end : h.end + 1]
    ends = not after or not ("\u4e00" <= after <= "\u9fff") or after in "这那"
    return (before in LOCATIVE_BEFORE or before[-1:] == "住") and ends


def _names_other_province(h: _Hit) -> bool:
    """Does the hit also read as a province other than its prefectures' own (海南 vs 海南藏族自治州)?"""
    provinces = {s.code[:2] for s in h.senses if s.kind == "province"}
    prefectures = {s.code[:2] for s in h.senses if s.kind == "prefecture"}
    return bool(provinces - prefectures)


def _straddles(h: _Hit, start: int, end: int) -> bool:
    """Do the hit and the span overlap without one containing the other?"""
    return (
        h.start < end
        and start < h.end
        and not (start <= h.start and h.end <= end)
        and not (h.start <= start and end <= h.end)
    )


def _gap_ok(text: str, end: int, start: int) -> bool:
    return bool(GAP_FILLER.match(text[end:start]))


def _inside(gz: Gazetteer, inner: str, outer: str) -> bool:
    """Is area ``inner`` (province/prefecture/county code) inside ``outer`` (and not the same)?"""
    if inner == outer:
        return False
    d = gz.counties.get(inner) or gz.prefectures.get(inner)
    return d is not None and outer in (d.province_code, d.prefecture_code)


def _next_to(text: str, a: _Hit, b: _Hit) -> bool:
    """Are the two hits written one right after the other (新乡|长垣), in either order?"""
    return _adjacent(text, a, b) or _adjacent(text, b, a)


def _adjacent(text: str, before: _Hit, after: _Hit) -> bool:
    return before.end <= after.start and bool(GAP_FILLER.match(text[before.end : after.start]))


def _clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    before = _LAST_BREAK.match(text, 0, start)  # the last break before the name, in one call
    m = CLAUSE_BREAK.search(text, end)
    return (before.end() if before else 0), (m.start() if m else len(text))


def _clause_cue(text: str, start: int, end: int) -> float:
    left, right = _clause_bounds(text, start, end)
    clause = text[left:start] + text[end:right]
    score = 0.0
    if _DEVICE_CUE.search(clause):
        score += DEVICE_CUE_BONUS
    if _PERSON_CUE.search(clause):
        score += PERSON_CUE_PENALTY
    return score


def _significant(text: str) -> str:
    return re.sub(r"[^\u4e00-\u9fff]", "", text).removesuffix("的").removesuffix("这边").removesuffix("那边")


@cache
def finder() -> PlaceFinder:
    """The shared finder, built on first use."""
    return PlaceFinder(gazetteer())


def find_place(text: str, *, expecting: bool = False) -> PlaceMatch:
    """Free text → ``PlaceMatch``: a place, several candidates (ambiguous), or nothing."""
    return finder().find(text, expecting=expecting)
