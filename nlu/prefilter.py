"""Cheap necessary conditions for the data regexes: the characters a match cannot do without.

Most messages match none of the fault, urgency or time patterns, yet ``re`` tries every pattern at
every position of the text (patterns such as ``(改|修改|换).{0,2}密码`` have no literal prefix for it to
skip ahead with). A :class:`Gate` is read off a pattern once, at build time: a few character sets such
that every match contains at least one character of each (``{改, 修, 换}`` and ``{密}`` above). When the
message lacks all characters of one set, the pattern cannot match and is not run at all.

The gate is a necessary condition only, never a sufficient one: when it passes the pattern runs as
before, so results are the same with or without it. Whatever the analysis does not understand (negated
or category classes, ``.``, case-insensitive parts, lookarounds, a pattern that may match the empty
string) simply adds no condition, and a pattern it cannot read at all is always run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

try:  # the regex parser of the standard library (private, hence the fallback: no gate, same results)
    from re import _compiler as _sre_compile
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover
    _sre = _sre_parse = _sre_compile = None  # type: ignore[assignment]

# A character range is enumerated up to this size; a larger one (all Han characters) adds no condition.
MAX_RANGE = 512

Requirement = tuple[frozenset[str], ...]


@dataclass(frozen=True, slots=True)
class Gate:
    """May some regex match a text with these characters? ``alternatives`` is ``None`` for "always"."""

    alternatives: tuple[Requirement, ...] | None

    def passes(self, chars: Set[str]) -> bool:
        """False only when no match is possible in a text made of ``chars`` (the set of its characters)."""
        if self.alternatives is None:
            return True
        return any(all(not need.isdisjoint(chars) for need in req) for req in self.alternatives)


ALWAYS = Gate(None)


class Gates:
    """Several gates checked together: one pass over the text, then a bit test per gate.

    Each required set gets a bit; a text's mask has the bits of the sets it hits; a gate passes when
    one of its alternatives has all its bits in the mask. The answer per mask is kept (few distinct
    masks occur: they depend on which of a few dozen characters a message has, not on the message).
    """

    def __init__(self, gates: Sequence[Gate], then: Callable[[tuple[bool, ...]], Any] | None = None) -> None:
        """``then``, when given, turns the per-gate answer into what :meth:`open` returns (kept with it)."""
        self._then = then
        bits: dict[frozenset[str], int] = {}
        self._gates: list[tuple[int, ...] | None] = []
        for g in gates:
            if g.alternatives is None:
                self._gates.append(None)
                continue
            self._gates.append(tuple(
                sum(1 << bits.setdefault(need, len(bits)) for need in set(req)) for req in g.alternatives
            ))
        self._bit: dict[str, int] = {}
        for need, bit in bits.items():
            for ch in need:
                self._bit[ch] = self._bit.get(ch, 0) | (1 << bit)
        # The characters that matter, found in C (no string object made for the others).
        self._chars = re.compile("[" + "".join(map(re.escape, sorted(self._bit))) + "]") if self._bit else None
        # Each alternative filed under its lowest bit: a text lacking that bit cannot meet it, so only
        # the alternatives of the text's own bits are tested (a handful, not every one).
        self._always = [i for i, alternatives in enumerate(self._gates) if alternatives is None]
        self._by_low_bit: dict[int, list[tuple[int, int]]] = {}
        for i, alternatives in enumerate(self._gates):
            for need in alternatives or ():
                self._by_low_bit.setdefault(need & -need, []).append((i, need))
        # The bits some alternative is filed under: the others are skipped without a look-up (a text
        # has many characters that only complete alternatives, or that no alternative starts with).
        self._filed = sum(self._by_low_bit)
        self._decide = lru_cache(maxsize=4096)(self._open_for)

    def open(self, text: str) -> Any:
        """Per gate (in order): whether its pattern may match ``text`` (passed through ``then``)."""
        mask = 0
        if self._chars is not None:
            bit = self._bit
            for ch in self._chars.findall(text):
                mask |= bit[ch]
        return self._decide(mask)

    def _open_for(self, mask: int) -> Any:
        opened = [False] * len(self._gates)
        for i in self._always:
            opened[i] = True
        rest = mask & self._filed
        by_low_bit = self._by_low_bit
        while rest:
            low = rest & -rest
            rest ^= low
            for i, need in by_low_bit[low]:
                if mask & need == need:
                    opened[i] = True
        return tuple(opened) if self._then is None else self._then(tuple(opened))


def gate(patterns: Iterable[str | re.Pattern[str]]) -> Gate:
    """The gate of the alternation of ``patterns`` (it may match only where one of them may)."""
    alternatives: list[Requirement] = []
    for pattern in patterns:
        reqs = branch_requirements(pattern)
        if not reqs or not all(reqs):
            return ALWAYS  # one alternative that needs nothing known: always run
        alternatives.extend(reqs)
    return Gate(tuple(alternatives)) if alternatives else ALWAYS


def branch_requirements(pattern: str | re.Pattern[str]) -> list[Requirement]:
    """:func:`requirement` per top-level branch (``打不开|反锁|被锁``: each branch needs all of its own
    characters, a stronger condition than one character of any branch); empty when nothing is known."""
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
    if _sre_parse is None or compiled.flags & re.IGNORECASE:
        return []
    try:
        items = _sre_parse.parse(compiled.pattern, compiled.flags)
        # (?:a|b) and ((a|b)) are a|b too.
        while len(items) == 1 and items[0][0] is _sre.SUBPATTERN and not items[0][1][1] & re.IGNORECASE:
            items = items[0][1][3]
        branches = items[0][1][1] if len(items) == 1 and items[0][0] is _sre.BRANCH else [items]
        if any(_may_be_empty(branch) for branch in branches):
            return []  # an empty match needs no character at all
        return [tuple(dict.fromkeys(_needs(branch))) for branch in branches]
    except Exception:  # an unexpected parse tree: no condition, the pattern always runs
        return []


def requirement(pattern: str | re.Pattern[str]) -> Requirement:
    """Character sets every match of ``pattern`` hits (each at least once); empty when none is known."""
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
    if _sre_parse is None or compiled.flags & re.IGNORECASE:
        return ()
    try:
        parsed = _sre_parse.parse(compiled.pattern, compiled.flags)
        if _may_be_empty(parsed):
            return ()  # an empty match needs no character at all
        return tuple(dict.fromkeys(_needs(parsed)))
    except Exception:  # an unexpected parse tree: no condition, the pattern always runs
        return ()


def _needs(items) -> list[frozenset[str]]:
    """Sets required by a sequence: each item that must consume characters adds its own."""
    out: list[frozenset[str]] = []
    for op, av in items:
        out.extend(_item_needs(op, av))
    return out


def _item_needs(op, av) -> list[frozenset[str]]:
    if op is _sre.LITERAL:
        return [frozenset(chr(av))]
    if op is _sre.IN:
        chars = _charset(av)
        return [chars] if chars else []
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return [] if add_flags & re.IGNORECASE else _needs(sub)
    if op is _sre.BRANCH:
        # One of the branches matches: the union of one set from each (the smallest) is required.
        union: set[str] = set()
        for branch in av[1]:
            needs = _needs(branch)
            if not needs:
                return []
            union |= min(needs, key=len)
        return [frozenset(union)]
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = av
        return _needs(sub) if low >= 1 else []
    return []  # ., negated literals, anchors, lookarounds, group references: no condition


def _charset(items) -> frozenset[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            chars.add(chr(av))
        elif op is _sre.RANGE and av[1] - av[0] < MAX_RANGE:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:
            return None  # negation, categories (\d, \s), large ranges
    return frozenset(chars)


def _may_be_empty(items) -> bool:
    """Whether the sequence can match without consuming a character (conservatively: when unsure, yes)."""
    return all(_item_may_be_empty(op, av) for op, av in items)


def _item_may_be_empty(op, av) -> bool:
    if op in (_sre.LITERAL, _sre.NOT_LITERAL, _sre.IN, _sre.ANY):
        return False
    if op is _sre.SUBPATTERN:
        return _may_be_empty(av[3])
    if op is _sre.BRANCH:
        return any(_may_be_empty(branch) for branch in av[1])
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
        return av[0] == 0 or _may_be_empty(av[2])
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _may_be_empty(av)
    return True  # anchors, lookarounds, group references and anything unknown


# ---------------------------------------------------------------------------------------- first characters
# ``re`` skips ahead quickly only for a pattern that starts with a literal or a character set. An
# alternation of data patterns ("(?:(改|修改|换).{0,2}密码)|(?:密码.{0,2}改不了)|…") starts with neither:
# ``search``, ``finditer`` and ``sub`` then try every branch at every position of the text. Put in front,
# a lookahead on the characters a match can begin with turns most positions into one set test; the
# matches are the same (every match begins with one of those characters, and the lookahead consumes none).

_CATEGORY_ESCAPES = {
    "CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W",
}


def guarded(pattern: str | re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` with a lookahead on its possible first characters; the pattern itself when those are not
    known (``.``, a negated class, a case-insensitive part, a pattern that may match the empty string …)."""
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
    first = first_characters(compiled)
    if first is None or _skips_ahead(compiled):
        return compiled
    try:
        return re.compile(f"(?=[{first}])(?:{compiled.pattern})", compiled.flags)
    except re.error:  # e.g. a global inline flag, which must stay at the start
        return compiled


def _skips_ahead(compiled: re.Pattern[str]) -> bool:
    """Whether ``re`` skips ahead by itself: the pattern starts with a literal, or a set of literals."""
    try:
        parsed = _sre_parse.parse(compiled.pattern, compiled.flags)
        prefix, _skip, _whole = _sre_compile._get_literal_prefix(parsed, compiled.flags)
        return bool(prefix) or _sre_compile._get_charset_prefix(parsed, compiled.flags) is not None
    except Exception:  # the compiler's internals changed: a guard costs little and changes nothing
        return False


def first_characters(pattern: str | re.Pattern[str]) -> str | None:
    """The body of a character class holding every character a match of ``pattern`` can begin with, or
    ``None`` when that is not known."""
    compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
    if _sre_parse is None or compiled.flags & re.IGNORECASE:
        return None
    try:
        parts, may_be_empty = _first_of(_sre_parse.parse(compiled.pattern, compiled.flags))
    except Exception:  # an unexpected parse tree: no guard
        return None
    if parts is None or may_be_empty or not parts:
        return None
    return "".join(sorted(parts))


def _first_of(items) -> tuple[set[str] | None, bool]:
    """(class parts a match of the sequence may begin with, whether it may match the empty string)."""
    parts: set[str] = set()
    for op, av in items:
        first, may_be_empty = _first_of_item(op, av)
        if first is None:
            return None, True
        parts |= first
        if not may_be_empty:
            return parts, False
    return parts, True


def _first_of_item(op, av) -> tuple[set[str] | None, bool]:
    if op is _sre.LITERAL:
        return {re.escape(chr(av))}, False
    if op is _sre.IN:
        return _class_parts(av), False
    if op is _sre.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return (None, True) if add_flags & re.IGNORECASE else _first_of(sub)
    if op is getattr(_sre, "ATOMIC_GROUP", None):
        return _first_of(av)
    if op is _sre.BRANCH:
        parts: set[str] = set()
        may_be_empty = False
        for branch in av[1]:
            first, empty = _first_of(branch)
            if first is None:
                return None, True
            parts |= first
            may_be_empty = may_be_empty or empty
        return parts, may_be_empty
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        if high == 0:
            return set(), True
        first, empty = _first_of(sub)
        return first, empty or low == 0
    if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
        return set(), True  # zero-width: the first character comes after it
    return None, True  # ., negated literals, group references, conditionals: not known


def _class_parts(items) -> set[str] | None:
    parts: set[str] = set()
    for op, av in items:
        if op is _sre.LITERAL:
            parts.add(re.escape(chr(av)))
        elif op is _sre.RANGE:
            parts.add(f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}")
        elif op is _sre.CATEGORY and str(av) in _CATEGORY_ESCAPES:
            parts.add(_CATEGORY_ESCAPES[str(av)])
        else:
            return None  # a negated class, or a category without an escape of its own
    return parts
