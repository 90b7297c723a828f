"""Reading survey answers typed in words: a 1–5 score, "was it solved?", "nothing more to say".

Buttons send their values ("1"…"5", the labels of yes/no); people also type "5分", "五星", "很满意",
"一般", "还是打不开", "没修好". The phrases are data (``nlu/data/feedback.yml``); this module matches
them most-specific first, so negated phrases (不满意, 没解决) win over the words they contain. The
phrases are Rasa lookup tables (``survey_score_1`` … ``survey_score_5``, ``survey_solved``,
``survey_unsolved``, ``survey_nothing_more``) so an optional Rasa pipeline sees them too.
"""

from __future__ import annotations

import re
from functools import cache

from nlu.normalize import normalize
from nlu.training_data import training_data

_NOISE = re.compile(r"[\s\u3000,.!?;:，。！？；：、~～…\"'“”‘’()（）【】\[\]★☆⭐*]+")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# "5分", "打4分", "给五星", "3颗星", "4 stars"; the number must stand alone (not "15分钟").
_RATED = re.compile(r"(?<![0-9])([1-5一二两三四五])(?:分|星|颗星|个星|stars?|points?)")
_BARE = re.compile(r"^(?:打|给|评)?([1-5一二三四五])(?:分|星)?$")


@cache
def _phrases() -> dict[str, object]:
    lookups = training_data().lookups
    scores = sorted(((_squash(p), score) for score in range(1, 6) for p in lookups[f"survey_score_{score}"]),
                    key=lambda item: -len(item[0]))
    resolved = sorted(((_squash(p), solved) for solved in (True, False)
                       for p in lookups["survey_solved" if solved else "survey_unsolved"]),
                      key=lambda item: -len(item[0]))
    nothing = frozenset(_squash(p) for p in lookups["survey_nothing_more"])
    return {"scores": scores, "resolved": resolved, "nothing": nothing}


def _squash(text: str) -> str:
    return _NOISE.sub("", normalize(text or "")).lower()


def read_score(text: str) -> int | None:
    """The 1–5 satisfaction score a message gives, or None when it gives none."""
    stars = text.count("★") + text.count("⭐")
    said = _squash(text)
    if not said:
        return stars if 1 <= stars <= 5 else None
    bare = _BARE.match(said)
    if bare:
        return _number(bare.group(1))
    rated = _RATED.search(said)
    if rated:
        return _number(rated.group(1))
    for phrase, score in _phrases()["scores"]:  # type: ignore[union-attr]
        if phrase and phrase in said:
            return score
    return None


def read_resolved(text: str) -> bool | None:
    """True when the customer says the problem is solved, False when not, None when they say neither."""
    said = _squash(text)
    if not said:
        return None
    whole = said.rstrip("了啊呀的吧哈呢")
    for phrase, solved in _phrases()["resolved"]:  # type: ignore[union-attr]
        if len(phrase) <= 2:
            if whole == phrase or said == phrase:  # "是", "对", "没有" only as the whole answer
                return solved
        elif phrase in said:
            return solved
    return None


def says_nothing_more(text: str) -> bool:
    """"没有了", "不用了": the customer has nothing to add."""
    return _squash(text) in _phrases()["nothing"]  # type: ignore[operator]


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _CN_DIGITS[token]
