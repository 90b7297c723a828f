"""repairbot runtime: app wiring, storage, engine, booking, follow-ups, channels, console and CLI."""

from __future__ import annotations

import nlu.defaults


def _nlu_settings():  # type: ignore[no-untyped-def]
    """The NLU settings of the active config.yml (read at the first parse, not at import)."""
    import os

    from bot.config import load_config
    from nlu.settings import NluSettings

    return NluSettings.from_config(load_config(), os.environ)


# nlu sits below bot and never reads config.yml itself: `nlu.parse` uses what the bot registers here.
nlu.defaults.set_default_settings(_nlu_settings)
