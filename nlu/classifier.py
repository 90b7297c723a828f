"""A small multinomial naive Bayes text classifier over character n-grams, in pure Python.

Chinese has no spaces, and customers type short, misspelt messages: character 1–3-grams (with
start/end markers, so that "对" and "不对" differ at the edges) carry most of the signal and need no
tokenizer. Training on a few hundred examples takes milliseconds, so the model is built from the
Rasa training files at first use instead of being shipped as a binary.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import add, sub
from typing import Any

from nlu.normalize import compact

BEGIN, END = "\x02", "\x03"


def ngrams(text: str, sizes: Sequence[int] = (1, 2, 3)) -> list[str]:
    """Character n-grams of the compacted text with begin/end markers."""
    body = compact(text)
    if not body:
        return []
    marked = BEGIN + body + END
    if sizes == (1, 2, 3):
        # The classifiers' only sizes, without the general loop's bookkeeping (same n-grams, same order).
        bigrams = list(map(add, marked, marked[1:]))
        grams = list(body)
        grams += bigrams
        grams += map(add, bigrams, marked[2:])
        return grams
    grams = list(body)  # unigrams without markers
    # n-grams in text order, each the (n-1)-gram plus the next character, joined in C.
    longer = {1: list(marked)}
    for n in sizes:
        if n == 1:
            continue
        for k in range(len(longer) + 1, n + 1):
            longer[k] = list(map(add, longer[k - 1], marked[k - 1 :]))
        grams.extend(longer[n])
    return grams


@dataclass(frozen=True, slots=True)
class Prediction:
    """Best label, its posterior probability, and the runner-up for diagnostics."""

    label: str
    probability: float
    runner_up: str | None = None


class NaiveBayes:
    """Multinomial naive Bayes with Laplace smoothing and a uniform class prior.

    The uniform prior matters: report_fault has many more examples than "thanks", and short messages
    carry too little evidence to overcome a skewed prior.
    """

    def __init__(self, alpha: float = 0.3) -> None:
        self.alpha = alpha
        self.labels: tuple[str, ...] = ()
        self._feature_logp: dict[str, tuple[float, ...]] = {}
        self._unseen_logp: tuple[float, ...] = ()

    def fit(self, samples: Iterable[tuple[str, str]]) -> NaiveBayes:
        """Train on ``(text, label)`` pairs."""
        counts: dict[str, Counter[str]] = {}
        for text, label in samples:
            counts.setdefault(label, Counter()).update(ngrams(text))
        self.labels = tuple(sorted(counts))
        vocab = set().union(*counts.values()) if counts else set()
        size = len(vocab) + 1
        totals = {label: sum(c.values()) for label, c in counts.items()}
        denominators = [math.log(totals[label] + self.alpha * size) for label in self.labels]
        # Equal values share one object, equal rows one tuple: most n-grams were seen under one label only,
        # so a few hundred distinct rows serve thousands of n-grams and a message's look-ups touch a small,
        # cache-resident set of objects instead of a dozen scattered ones per n-gram (the parse pipeline
        # is slow mostly by cache misses). The sums add the same values in the same order: equal floats
        # are the same number here (finite negative logs, never a signed zero or a NaN).
        shared: dict[Any, Any] = {}
        self._unseen_logp = tuple(shared.setdefault(v, v) for v in (math.log(self.alpha) - d for d in denominators))
        feature_logp = {}
        for gram in sorted(vocab):  # a fixed order: the same table layout whatever the hash seed
            row = tuple(
                shared.setdefault(v, v)
                for v in (
                    math.log(counts[label][gram] + self.alpha) - d
                    for label, d in zip(self.labels, denominators, strict=True)
                )
            )
            feature_logp[gram] = shared.setdefault(row, row)
        self._feature_logp = feature_logp
        return self

    def scores(self, text: str) -> list[float]:
        """Log-likelihood per label (same order as ``labels``); all zeros for empty text."""
        return self._scores(ngrams(text))

    def _scores(self, grams: list[str]) -> list[float]:
        if not grams:
            return [0.0] * len(self.labels)
        return self._sums(self._rows(grams))

    def _rows(self, grams: list[str]) -> list[tuple[float, ...]]:
        """Per n-gram, its log-probability per label (the shared unseen row for n-grams never seen)."""
        return list(map(self._feature_logp.get, grams, repeat(self._unseen_logp)))

    @staticmethod
    def _sums(rows: list[tuple[float, ...]]) -> list[float]:
        # Column sums run in C: about five times the plain per-gram loop (same order of additions).
        return list(map(sum, zip(*rows, strict=True)))

    def known_fraction(self, text: str) -> float:
        """Share of the text's n-grams seen in training: low means the model is guessing."""
        return self._known(ngrams(text))

    def _known(self, grams: list[str]) -> float:
        if not grams:
            return 0.0
        return sum(map(self._feature_logp.__contains__, grams)) / len(grams)

    def read(self, text: str) -> tuple[Prediction | None, float]:
        """``(predict(text), known_fraction(text))`` from one pass over the n-grams."""
        grams = ngrams(text)
        if not self.labels or not grams:
            return self._predict(grams), self._known(grams)
        rows = self._rows(grams)
        # The unseen n-grams are those given the shared unseen row (a seen one has a count somewhere, so
        # its row differs): counted by identity mostly, cheaper than a second look-up per n-gram.
        known = len(rows) - rows.count(self._unseen_logp)
        return self._best(self._sums(rows)), known / len(grams)

    def predict(self, text: str) -> Prediction | None:
        """The most likely label with its posterior; ``None`` for text with no characters."""
        return self._predict(ngrams(text))

    def _predict(self, grams: list[str]) -> Prediction | None:
        if not self.labels or not grams:
            return None
        return self._best(self._scores(grams))

    def _best(self, scores: list[float]) -> Prediction:
        """The winner of the per-label log-likelihoods, with its posterior and the runner-up."""
        top = max(scores)
        weights = list(map(math.exp, map(sub, scores, repeat(top))))  # exp(s - top) per label, in C
        total = sum(weights)
        # The first and second of a stable sort by score, highest first (ties: the earlier label).
        best = scores.index(top)
        runner = None
        if len(scores) > 1:
            rest = scores[:best] + scores[best + 1 :]
            second = rest.index(max(rest))
            runner = self.labels[second if second < best else second + 1]
        return Prediction(self.labels[best], weights[best] / total, runner)
