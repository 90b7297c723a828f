"""Understanding: brand, product, fault, place, phone, time and intent from Chinese free text.

``parse(text, expecting=None, now=None) -> Parse`` reads a message with the default settings;
``build_engine(NluSettings.from_config(config)).parse`` with any other configuration. ``nlu`` never
reads the application's config file: the application passes its configuration down as
:class:`NluSettings` (``bot`` registers its loaded config with ``set_default_settings`` on import).
Engines are built from those settings and the Rasa-format training data in ``nlu/data`` at first use.

How each field is read (one module each):

- brand (``brands``): the brand catalogue of the settings, exact spellings through an
  Aho-Corasick automaton, homophones of names of 3+ characters through pinyin;
- product (``products``): the product words of the settings; a bare 锁 used as a noun is a lock;
  when no product word is present and the brand makes only one product, that product is inferred
  (丹斯提尼 → safe, 旗电佳 → lock);
- fault (``faults``): fault phrases and patterns from ``nlu/data`` (most specific cause wins), then a
  naive Bayes classifier trained on the annotated fault examples, only inside a repair context and
  only on evidence (the text left once places, phones, brands, times and product words are removed);
- intent (``intents``): naive Bayes over character n-grams trained on the intent examples and the
  bare fault phrases, reading the message without its places, phones, brands and times
  (``evidence``), plus the rule that a fault or product turns a greeting/thanks into a fault report;
- place (``places``): ``regions.find_place`` (the gazetteer), mapped to place / candidates;
- phone (``phones``) and time (``when``): patterns, with day-part windows from the settings.

``nlu.backend: rasa`` (or ``REPAIRBOT_NLU_BACKEND=rasa``) asks a Rasa server for intent and fault
instead (``rasa_backend``), falling back to the in-process models whenever it is not ready.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from nlu.types import EXPECTING, FAULTS, INTENTS, PRODUCTS, Parse, When

if TYPE_CHECKING:
    from nlu.defaults import set_default_settings
    from nlu.engine import Engine, build_engine, default_engine
    from nlu.settings import NluSettings, SettingsError

# Imported on first use: ``dialogs`` and ``bot`` import ``nlu.types`` everywhere and should not pay for
# the extractors (pypinyin, the automata, httpx) unless they parse.
_LAZY = {
    "Engine": "nlu.engine", "build_engine": "nlu.engine", "default_engine": "nlu.engine",
    "set_default_settings": "nlu.defaults", "NluSettings": "nlu.settings", "SettingsError": "nlu.settings",
}

__all__ = [
    "EXPECTING", "FAULTS", "INTENTS", "PRODUCTS", "Engine", "NluSettings", "Parse", "SettingsError", "When",
    "build_engine", "default_engine", "parse", "set_default_settings",
]


def parse(text: str, *, expecting: str | None = None, now: datetime | None = None) -> Parse:
    """Understand one customer message.

    ``expecting`` names the slot the bot just asked for (one of ``EXPECTING``), so a bare answer
    such as "温县" or "13812345678" is read as that slot. ``now`` fixes "today" for time words
    (default: the current time in the configured time zone).
    """
    from nlu.engine import default_engine

    return default_engine().parse(text, expecting=expecting, now=now)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nlu' has no attribute {name!r}")
