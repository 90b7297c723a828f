"""Dialect, English and pinyin read as the Mandarin every extractor knows.

Customers write Cantonese (打唔开, 冇电), northern and south-western wording (整忘了, 没得电), voice-typing
fillers (呃, 嗯那个), English ("the safe doesn't open") and pinyin ("zhi wen suo kai bu liao"). Rather
than teach each extractor every variant, the message is rewritten once, from data
(``nlu/data/gloss.yml``):

1. single dialect characters (``char_gloss``: 唔→不, 冇→没, 咗→了), then dialect phrases (``synonym`` items
   with Chinese examples) by leftmost-longest match; fillers are dropped from messages longer than a
   bare answer (a lone "嗯" is a yes);
2. each run of latin letters: when it is all pinyin syllables, known phrases are found by their sound
   (any heteronym: 了 is le or liao) and written in characters; otherwise it is read as English, word by
   word after normalisation (case, contractions, filler words, simple endings), longest phrase first,
   and what is left is tried as pinyin again.

Unknown latin words stay as they are (brand aliases such as "dansitini" are matched afterwards).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from functools import cache

import ahocorasick

from nlu import pinyin_places
from nlu.normalize import compact
from nlu.training_data import TrainingData

_LATIN_RUN = re.compile(r"[a-z][a-z' ]*[a-z]|[a-z]")
_LATIN = re.compile(r"[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ALL_HAN = re.compile(r"[\u4e00-\u9fff]+")
_CONTRACTIONS = (
    ("won't", "will not"), ("can't", "can not"), ("cannot", "can not"), ("shan't", "shall not"),
    ("n't", " not"), ("'m", " am"), ("'re", " are"), ("'s", " is"), ("'ve", " have"), ("'ll", " will"),
    ("'d", " would"),
)
# Words that carry no meaning for the readings below; dropped from both the message and the table.
_STOP = frozenset(
    ["the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "this", "that", "these", "those", "it", "i", "me", "we", "you", "he", "she", "they", "please", "just", "really", "still", "again", "so", "very", "anymore", "is", "are", "was", "were", "am", "be", "been", "being", "has", "have", "had", "do", "does", "did", "will", "would", "keep", "keeps", "kept", "seem", "seems", "some", "any", "also", "too", "on", "of", "for", "at", "with", "from", "to", "can", "could", "want", "need", "help"]
)
MIN_FILLER_TEXT = 6  # shorter messages are bare answers: "嗯" is a yes, not filler
MAX_PINYIN_COMBOS = 8
MAX_GAP = 2  # other English words allowed between the words of a phrase
MAX_PLACE_LETTERS = 24  # the longest place name in pinyin worth trying (neimenggu… is longer, and rare)


def english_words(text: str) -> list[str]:
    """Lower-case words of English text, contractions expanded, filler words dropped, plural and -ing cut."""
    return [key for _word, key, _pos in _english_tokens(text)]


def _english_tokens(text: str) -> list[tuple[str, str, int]]:
    """``(word as written, key, position among all words)`` for the words that carry meaning."""
    text = text.lower().replace("’", "'")
    for short, long in _CONTRACTIONS:
        text = text.replace(short, long)
    return [(w, _stem(w), i) for i, w in enumerate(re.findall(r"[a-z]+", text)) if w not in _STOP]


def _stem(word: str) -> str:
    if len(word) >= 6 and word.endswith("ing"):
        return word[:-3]
    if len(word) >= 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@cache
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (ü written v), from pypinyin's character table."""
    import pypinyin.pinyin_dict as table

    out = set()
    for readings in table.pinyin_dict.values():
        for reading in readings.split(","):
            plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
            out.add(plain.replace("ü", "v"))
    return frozenset(out)


def _segmentable(s: str, syllables: frozenset[str]) -> list[bool]:
    """``ok[i]``: s[i:] splits into syllables (ok[len(s)] is True)."""
    ok = [False] * (len(s) + 1)
    ok[len(s)] = True
    for i in range(len(s) - 1, -1, -1):
        ok[i] = any(ok[i + n] and s[i : i + n] in syllables for n in range(1, 7) if i + n <= len(s))
    return ok


def _keys(phrase: str) -> set[str]:
    """Concatenated toneless readings of a Chinese phrase, every heteronym combination (capped)."""
    from pypinyin import Style, pinyin

    # Character by character: phrase readings would settle 不了 as "buliao", but people type "bule" too.
    readings = [pinyin(ch, style=Style.NORMAL, heteronym=True, errors="ignore")[0] for ch in phrase]
    # The phrase reading first, so that the capped combinations always include it.
    phrase_reading = "".join(r[0] for r in pinyin(phrase, style=Style.NORMAL, errors="ignore"))
    combos = itertools.islice(itertools.product(*readings), MAX_PINYIN_COMBOS)
    return {phrase_reading.replace("ü", "v"), *("".join(c).replace("ü", "v") for c in combos)}


class Gloss:
    """Rewrites normalized text; built once from the training data and the product and brand words."""

    def __init__(self, data: TrainingData, vocabulary: Iterable[str] = ()) -> None:
        self._chars = str.maketrans(
            dict(pair.split("=", 1) for pair in data.lookups.get("char_gloss", ()) if "=" in pair)
        )
        self._char_set = re.compile("[" + "".join(map(chr, self._chars)) + "]") if self._chars else None
        self._phrases = ahocorasick.Automaton()
        self._english: dict[tuple[str, ...], str] = {}
        for example, value in data.synonyms.items():
            if _HAN.search(value) is None:
                continue  # fault codes, brand and product codes: not a gloss
            if _HAN.search(example):
                self._phrases.add_word(example.translate(self._chars), (len(example), value))
            else:
                words = tuple(english_words(example))
                if words:
                    self._english[words] = value
        for filler in data.lookups.get("filler", ()):
            self._phrases.add_word(filler, (len(filler), " "))
        if len(self._phrases):
            self._phrases.make_automaton()
        # Phrases by their first word, longest first (matched with gaps, see _english_match).
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, value in sorted(self._english.items(), key=lambda kv: -len(kv[0])):
            self._by_first.setdefault(phrase[0], []).append((phrase, value))
        self._product_values = frozenset(w for w in vocabulary if _HAN.search(w)) | {"锁", "门"}
        # Pinyin: every Chinese phrase the extractors know, by sound.
        known = {w for w in data.synonyms if _HAN.search(w)} | {v for v in data.synonyms.values() if _HAN.search(v)}
        for name in ("product", "fault", "brand"):
            known.update(w for w in data.lookups.get(name, ()) if _HAN.search(w))
        known.update(w for w in vocabulary if _HAN.search(w))
        self._pinyin: dict[str, str] = {}
        for phrase in sorted(known, key=len):  # a longer phrase with the same sound wins
            if len(phrase) >= 2 and _ALL_HAN.fullmatch(phrase):
                for key in _keys(phrase):
                    self._pinyin[key] = phrase
        self._longest_key = max((len(k) for k in self._pinyin), default=0)

    def __call__(self, text: str) -> str:
        """The text with dialect, fillers, English and pinyin rewritten (unchanged when none is present)."""
        if self._char_set is not None and self._char_set.search(text):
            text = text.translate(self._chars)
        if len(self._phrases):
            text = self._rewrite_phrases(text)
        if _LATIN.search(text):
            named = pinyin_places.named_prefectures(text)
            text = _LATIN_RUN.sub(lambda m: self._latin(m.group(), named), text)
        return text

    def _rewrite_phrases(self, text: str) -> str:
        long_enough: bool | None = None  # asked only when a filler is found
        out, last = [], 0
        for end, (length, value) in self._phrases.iter_long(text):
            start = end - length + 1
            if value == " ":
                if long_enough is None:
                    long_enough = len(compact(text)) > MIN_FILLER_TEXT
                if not long_enough:
                    continue
            out.append(text[last:start])
            out.append(value)
            last = end + 1
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def _latin(self, run: str, named: frozenset[str]) -> str:
        syllables = pinyin_syllables()
        squashed = run.replace(" ", "").replace("'", "")
        if len(squashed) >= 4 and _segmentable(squashed, syllables)[0]:
            glossed = self._from_pinyin(squashed, syllables, named)
            if glossed is not None:
                return glossed
        return self._from_english(run, syllables, named)

    def _from_pinyin(self, s: str, syllables: frozenset[str], named: frozenset[str] = frozenset()) -> str | None:
        """Known phrases (then place names) spelt in pinyin, in characters; ``None`` when none is found."""
        ok = _segmentable(s, syllables)
        out: list[str] = []
        found = False
        i = 0
        while i < len(s):
            for n in range(min(self._longest_key, len(s) - i), 1, -1):
                phrase = self._pinyin.get(s[i : i + n])
                if phrase is not None and ok[i + n]:
                    out.append(phrase)
                    found = True
                    i += n
                    break
            else:
                place_end = next(
                    (j for j in range(min(len(s), i + MAX_PLACE_LETTERS), i + 3, -1)
                     if ok[j] and pinyin_places.lookup(s[i:j], named, syllables)),
                    None,
                )
                if place_end is not None and not self._phrase_across(s, i, place_end, ok):
                    out.append(" " + str(pinyin_places.lookup(s[i:place_end], named, syllables)) + " ")
                    found = True
                    i = place_end
                    continue
                step = next((n for n in range(6, 0, -1) if ok[min(i + n, len(s))] and s[i : i + n] in syllables), 1)
                out.append(" " + s[i : i + step] + " ")
                i += step
        return "".join(out) if found else None

    def _phrase_across(self, s: str, start: int, end: int, ok: list[bool]) -> bool:
        """Whether a known phrase begins inside ``s[start:end]`` and runs past its end: "wo de baoxiangui"
        is 我的保险柜, not 德保县 (de bao xian) followed by "gui"."""
        for k in range(start + 1, end):
            if not ok[k]:
                continue
            for n in range(min(self._longest_key, len(s) - k), end - k, -1):
                if ok[k + n] and self._pinyin.get(s[k : k + n]) is not None:
                    return True
        return False

    def _from_english(self, run: str, syllables: frozenset[str], named: frozenset[str] = frozenset()) -> str:
        tokens = _english_tokens(run)
        # Product nouns first, out of the way: "forgot my safe combination" is "forgot combination" + 保险柜.
        products: list[str] = []
        rest: list[tuple[str, str, int]] = []
        i = 0
        while i < len(tokens):
            # A product name of several words is written word after word ("smart lock"), never across
            # dropped words ("fingerprint from the lock" is no 指纹锁).
            n = next(
                (n for n in range(min(3, len(tokens) - i), 0, -1)
                 if tokens[i + n - 1][2] - tokens[i][2] == n - 1
                 and self._english.get(tuple(t[1] for t in tokens[i : i + n])) in self._product_values),
                0,
            )
            if n:
                products.append(self._english[tuple(t[1] for t in tokens[i : i + n])])
                i += n
            else:
                rest.append(tokens[i])
                i += 1
        tokens = rest
        keys = [t[1] for t in tokens]
        used = [False] * len(tokens)
        placed: list[tuple[int, str]] = [(-1, p) for p in products]  # (position, Mandarin) in word order
        changed = bool(products)
        # Phrases written word after word first, then with other words between them: "lost the emergency
        # key" is lost + 应急钥匙, not "lost … key" leaving "emergency" to read as 急.
        for gap, shortest in ((0, 2), (MAX_GAP, 1)):
            for i in range(len(tokens)):
                if not used[i]:
                    match = self._english_match(keys, used, i, gap, shortest)
                    if match is not None:
                        value, positions = match
                        placed.append((i, value))
                        changed = True
                        for p in positions:
                            used[p] = True
        i = 0
        while i < len(tokens):
            if used[i]:
                i += 1
                continue
            # A place in pinyin, as one word or two or three written together ("Wen Xian"), then a phrase.
            n, place = next(
                ((n, p) for n in range(min(3, len(tokens) - i), 0, -1)
                 if tokens[i + n - 1][2] - tokens[i][2] == n - 1 and not any(used[i : i + n])
                 and (p := pinyin_places.lookup("".join(t[0] for t in tokens[i : i + n]), named, syllables))),
                (0, None),
            )
            if place is not None:
                placed.append((i, place))
                changed = True
                i += n
                continue
            word = tokens[i][0]
            glossed = (
                self._from_pinyin(word, syllables, named)
                if len(word) >= 4 and _segmentable(word, syllables)[0]
                else None
            )
            placed.append((i, glossed if glossed is not None else word))
            changed = changed or glossed is not None
            i += 1
        out = [value for _pos, value in sorted(placed, key=lambda pv: pv[0])]
        # Nothing known: the run stays exactly as typed (brand aliases such as "kaa-das" are read later).
        return " " + " ".join(out) + " " if changed else run

    def _english_match(
        self, keys: list[str], used: list[bool], i: int, gap: int, shortest: int = 1
    ) -> tuple[str, list[int]] | None:
        """The longest phrase of ``shortest`` words or more starting at word ``i``; up to ``gap`` other
        words may stand between its words ("fingerprint sensor not working" is "fingerprint … not work")."""
        for phrase, value in self._by_first.get(keys[i], ()):
            if len(phrase) < shortest:
                continue
            positions = [i]
            j = i
            for key in phrase[1:]:
                k = next(
                    (k for k in range(j + 1, min(j + 2 + gap, len(keys))) if keys[k] == key and not used[k]),
                    None,
                )
                if k is None:
                    break
                positions.append(k)
                j = k
            else:
                return value, positions
        return None
