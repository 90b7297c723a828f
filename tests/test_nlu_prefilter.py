"""The speed-ups of the NLU must not change a reading: gates only skip regexes that cannot match,
and the one-pass ``compact`` keeps exactly the characters ``str.isalnum`` keeps."""

from __future__ import annotations

import random
import re
import sys

import pytest

from nlu.normalize import compact
from nlu.prefilter import ALWAYS, Gates, branch_requirements, first_characters, gate, guarded, requirement
from nlu.training_data import training_data


def test_compact_keeps_exactly_the_alphanumeric_characters():
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    assert compact(every) == "".join(ch for ch in every if ch.isalnum())
    assert compact("") == "" and compact("_a b，c") == "abc"


def test_canonical_phone_keeps_exactly_the_decimal_digits():
    from nlu.phones import canonical_phone

    every = "".join(map(chr, range(sys.maxunicode + 1)))
    decimals = "".join(ch for ch in every if ch.isdecimal())
    assert re.sub(r"\D+", "", every) == decimals
    assert canonical_phone("+86 １３８-1234-5678") == "13812345678"
    assert canonical_phone("٠١٢٣ 45") == "012345"


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        (r"密码.{0,4}(忘|想不起)", [{"密"}, {"码"}, {"忘", "想"}]),
        (r"(没有?|无)(任何)?反应|反应都没有", [{"反"}]),
        (r"安装$", [{"安"}, {"装"}]),
        (r"(?<![刚才])(搬|挪)", [{"搬", "挪"}]),
    ],
)
def test_requirement_reads_the_characters_a_match_needs(pattern, needs):
    assert [set(s) for s in requirement(pattern)] == needs


def test_each_top_level_branch_is_an_alternative_of_its_own():
    reqs = branch_requirements(r"(?:打不开|反锁)")
    assert [[set(s) for s in req] for req in reqs] == [[{"打"}, {"不"}, {"开"}], [{"反"}, {"锁"}]]
    g = gate([r"打不开|反锁"])
    assert g.passes(set("反锁了")) and not g.passes(set("打开")) and not g.passes(set("不反"))


@pytest.mark.parametrize("pattern", [r"\d+", r"[^锁]+", r".{2}", r"a*", r"(?i)ab", r"x|\w", r"(?=a)"])
def test_requirement_is_empty_when_nothing_is_known(pattern):
    assert requirement(pattern) == ()
    assert gate([pattern]) is ALWAYS


def _texts() -> list[str]:
    data = training_data()
    texts = [e.text.lower() for e in data.examples]
    texts += [w for words in data.lookups.values() for w in words]
    texts += list(data.synonyms)
    rng = random.Random(3)
    alphabet = "".join(sorted({ch for t in texts for ch in t}))
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(2000)]
    return texts


def test_gates_never_skip_a_pattern_that_matches():
    patterns = [(name, p) for name, items in training_data().regexes.items() for p in items]
    single = [gate([p]) for _name, p in patterns]
    gates = Gates(single)
    compiled = [re.compile(p) for _name, p in patterns]
    for text in _texts():
        opened = gates.open(text)
        chars = set(text)
        for (name, p), rx, one, may_match in zip(patterns, compiled, single, opened, strict=True):
            if rx.search(text):
                assert may_match, (name, p, text)
            assert may_match == one.passes(chars)


def test_gates_skip_most_patterns_for_a_plain_message():
    patterns = [p for items in training_data().regexes.values() for p in items]
    opened = Gates([gate([p]) for p in patterns]).open("你好")
    assert sum(opened) < len(patterns) / 4


def _messages() -> list[str]:
    from bench.nlu_bench import messages

    texts = [t for seed in (7, 8, 9) for t in messages(200, seed=seed)]
    texts += [e.text for e in training_data().examples]
    texts += ["明天下午3点到5点", "周六上午十点左右", "下周三晚上7点以后", "25号上午", "不急，周二晚上来就行", "越快越好",
              "昨天晚上一直响", "早上好，便宜一点", "孩子反锁在房间里出不来", "门口冒烟了", "人民路25号3栋"]
    return texts


def test_parses_are_the_same_with_every_gate_open(monkeypatch):
    """The gates only skip work: forcing every one open must not change a single field."""
    from datetime import datetime

    from nlu import parse
    from nlu.evidence import _slot_cues, _without, without_slot_cues

    now = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
    texts = _messages()

    def reading(text: str) -> tuple:
        p = parse(text, now=now)
        return (p.to_json(), p.safety, p.intent_confidence)

    gated = [reading(t) for t in texts]
    def all_open(self: Gates, text: str):
        opened = tuple(True for _ in self._gates)
        return opened if self._then is None else self._then(opened)

    monkeypatch.setattr(Gates, "open", all_open)
    assert [reading(t) for t in texts] == gated
    assert all(without_slot_cues(t) == _without(t, _slot_cues()) for t in texts)


def test_prediction_is_the_first_two_of_a_stable_sort():
    """best and runner-up as ``sorted(..., reverse=True)`` orders them (ties: the earlier label)."""
    import math

    from nlu.classifier import NaiveBayes, ngrams

    model = NaiveBayes().fit([("aa", "x"), ("bb", "y"), ("ab", "z"), ("cc", "w")])
    for text in ["aa", "ab", "ba", "c", "zz", "abc", "cab"]:
        scores = model.scores(text)
        order = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
        weights = [math.exp(s - max(scores)) for s in scores]
        got = model.predict(text)
        assert got is not None and ngrams(text)
        assert (got.label, got.runner_up) == (model.labels[order[0]], model.labels[order[1]])
        assert got.probability == weights[order[0]] / sum(weights)


@pytest.mark.parametrize(
    ("pattern", "first"),
    [
        (r"密码.{0,4}(忘|想不起)", "密"),
        (r"(?<![刚才])(搬|挪)", "挪搬"),
        (r"(?:x|)y", "xy"),
        (r"\d+号", r"\d"),
        (r"[a-c\]]z", r"\]a-c"),
    ],
)
def test_first_characters_are_read_off_the_pattern(pattern, first):
    assert first_characters(pattern) == first


@pytest.mark.parametrize("pattern", [r"a*", r"[^a]b", r".x", r"(?i)ab", r"$", r"(a)?\1b", r"(?:a|b?)"])
def test_first_characters_are_unknown_when_a_match_may_begin_anywhere(pattern):
    assert first_characters(pattern) is None
    assert guarded(pattern).pattern == pattern


def _guarded_patterns() -> list[re.Pattern[str]]:
    """Every pattern the NLU searches behind a guard, and every data regex (guarded here for the test)."""
    from nlu import address, evidence, normalize, phones, products, when

    searched = [
        phones._RUN, evidence._DIGIT_RUN, address._MARKER, address._PHONE_IN_TEXT, address._TRAILING,
        normalize._SPACED_OUT, products._BARE_LOCK, when._FIND_RANGE, when._FIND_POINT, when._FIND_WEEKDAY,
        when._FIND_WEEKEND, when._FIND_DATE, when._FIND_DAY, when._FIND_A_BIT,
    ]
    data = [p for items in training_data().regexes.values() for p in items]
    return searched + [guarded(p) for p in data] + [guarded("|".join(f"(?:{p})" for p in data))]


def test_a_guard_changes_no_match():
    """The lookahead only skips positions where no match can begin: the same matches, spans and groups."""
    texts = _texts() + _messages() + ["电话 139-1234-5678 ，地址：人民路25号3栋 的 这边", "保 险 柜 打 不 开", "2026-11-24 10:30"]
    for rx in _guarded_patterns():
        inner = rx.pattern.split(")(?:", 1)[1][:-1] if rx.pattern.startswith("(?=[") else rx.pattern
        plain = re.compile(inner, rx.flags)
        for text in texts:
            got = [(m.span(), m.groups()) for m in rx.finditer(text)]
            assert got == [(m.span(), m.groups()) for m in plain.finditer(text)], (rx.pattern, text)
            assert rx.sub("#", text) == plain.sub("#", text)
