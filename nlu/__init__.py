"""Understanding: brand, product, fault, place, phone, time and intent from Chinese free text.

``parse(text, expecting=None, now=None) -> Parse`` is the whole public surface; the engine behind
it is built from config.yml and the Rasa-format training data in ``nlu/data`` at first use.

How each field is read (one module each):

- brand (``brands``): the ``brands`` catalogue in config.yml, exact spellings through an
  Aho-Corasick automaton, homophones of names of 3+ characters through pinyin;
- product (``products``): the ``products`` words in config.yml; a bare 锁 used as a noun is a lock;
  when no product word is present and the brand makes only one product, that product is inferred
  (丹斯提尼 → safe, 旗电佳 → lock);
- fault (``faults``): fault phrases and patterns from ``nlu/data`` (most specific cause wins), then a
  naive Bayes classifier trained on the annotated fault examples, only inside a repair context and
  only on evidence (the text left once places, phones, brands, times and product words are removed);
- intent (``intents``): naive Bayes over character n-grams trained on the intent examples and the
  bare fault phrases, reading the message without its places, phones, brands and times
  (``evidence``), plus the rule that a fault or product turns a greeting/thanks into a fault report;
- place (``places``): ``regions.find_place`` (the gazetteer), mapped to place / candidates;
- phone (``phones``) and time (``when``): patterns, with day-part windows from config.yml.

``nlu.backend: rasa`` (or ``REPAIRBOT_NLU_BACKEND=rasa``) asks a Rasa server for intent and fault
instead (``rasa_backend``), falling back to the in-process models whenever it is not ready.
"""

from __future__ import annotations

from datetime import datetime

from nlu.types import EXPECTING, FAULTS, INTENTS, PRODUCTS, Parse, When

__all__ = ["EXPECTING", "FAULTS", "INTENTS", "PRODUCTS", "Parse", "When", "parse"]


def parse(text: str, *, expecting: str | None = None, now: datetime | None = None) -> Parse:
    """Understand one customer message.

    ``expecting`` names the slot the bot just asked for (one of ``EXPECTING``), so a bare answer
    such as "温县" or "13812345678" is read as that slot. ``now`` fixes "today" for time words
    (default: the current time in the configured time zone).
    """
    from nlu.engine import default_engine

    return default_engine().parse(text, expecting=expecting, now=now)
