"""Inbound text guard for the runtime: the names the engine and channels import.

The implementation and the size limits live in :mod:`nlu.text_guard` (one definition for every layer;
``nlu`` may not import ``bot``). This module only gives them their runtime address.
"""

from __future__ import annotations

from nlu.text_guard import (
    MAX_ID_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_TEXT_CHARS,
    CleanText,
    clean_text,
    storable,
    strip_controls,
)

__all__ = ["MAX_ID_CHARS", "MAX_MESSAGE_CHARS", "MAX_TEXT_CHARS", "CleanText", "clean_text", "storable",
           "strip_controls"]
