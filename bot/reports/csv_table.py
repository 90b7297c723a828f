"""The summary's tables as CSV (one file, every dimension), for managers' spreadsheets.

UTF-8 with a byte-order mark, because spreadsheet programs in China open CSV files as GBK otherwise
and the brand and place names turn into mojibake. Cells that a spreadsheet would read as a formula
(starting with = + - @) are prefixed with an apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from bot.reports.summary import DIMENSIONS, Summary

COLUMNS = ("tickets", "escalations", "escalation_rate", "csat_avg", "csat_count", "surveys_asked", "response_rate",
           "resolved_rate", "first_response_minutes", "time_to_booking_hours")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def csv_table(summary: Summary) -> str:
    """``dimension,key,<figures>`` rows: the whole period first, then each dimension's groups."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("dimension", "key", *COLUMNS))
    overall = summary.overall.figures()
    writer.writerow(("all", f"{summary.since.date()}..{summary.until.date()}", *(_cell(overall[c]) for c in COLUMNS)))
    for dim in DIMENSIONS:
        for row in summary.rows(dim):
            writer.writerow((dim, _cell(row["key"]), *(_cell(row[c]) for c in COLUMNS)))
    return out.getvalue()
