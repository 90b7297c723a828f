"""A logging filter and record factory that mask phone-like numbers in every log record."""

from __future__ import annotations

import logging
import threading
from typing import Any

from bot.privacy.masking import mask_text


class PhoneMaskingFilter(logging.Filter):
    """A logging filter that masks phone-like numbers in the message, its arguments and tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def _mask_record(record: logging.LogRecord) -> None:
    if getattr(record, "_repairbot_masked", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must still be logged, masked
        message = f"{record.msg} {record.args}"
    record.msg = mask_text(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    record._repairbot_masked = True


_install_lock = threading.Lock()
_installed = False


def install_log_masking() -> PhoneMaskingFilter:
    """Mask phone-like numbers in every log record from now on; idempotent.

    Wraps the log record factory (so records are masked whichever logger or handler sees them, pytest's
    caplog included) and adds the filter to the root logger's current handlers as a second guard.
    """
    global _installed
    masking = PhoneMaskingFilter()
    with _install_lock:
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                _mask_record(record)
                return record

            logging.setLogRecordFactory(factory)
            _installed = True
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, PhoneMaskingFilter) for f in handler.filters):
                handler.addFilter(masking)
    return masking
