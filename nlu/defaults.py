"""Where ``nlu.parse`` gets its settings: registered by the application, never read from its files.

Kept apart from :mod:`nlu.engine` so that registering costs no import of the extractors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlu.settings import NluSettings

_source: Callable[[], NluSettings] | None = None
_lock = threading.Lock()


def set_default_settings(source: Callable[[], NluSettings] | NluSettings) -> None:
    """Register the settings ``nlu.parse`` uses: a value, or a function called once at first use.

    The application registers its configuration when it is imported (``bot`` does), so that the lower
    layer never imports the upper one and a process that never parses never loads the config for it.
    """
    global _source
    with _lock:
        _source = source if callable(source) else (lambda: source)
        default_settings.cache_clear()


@lru_cache(maxsize=1)
def default_settings() -> NluSettings:
    """The registered default settings; a clear error when nothing registered any."""
    if _source is None:
        raise RuntimeError(
            "nlu has no default settings: call nlu.set_default_settings(...) (importing bot does), "
            "or build an engine of your own with nlu.build_engine(NluSettings.from_config(config))"
        )
    return _source()
