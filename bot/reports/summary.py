"""The feedback summary: the period's facts (bot/reports/facts.py) counted overall and per group.

Pure: takes :class:`~bot.reports.facts.Facts`, returns :class:`Summary`, whose ``to_json`` is what
``repairbot report --json`` prints (contract keys: ``csat_avg``, ``csat_count``, ``response_rate``,
``resolved_rate``, ``escalations``, ``by_brand``, ``by_technician``) and what the console renders.

Definitions (each over events in the period):
- CSAT: scores 1–5 given; average and distribution.
- response rate: surveys asked (sent) whose ticket answered anything / surveys asked.
- resolved rate: "resolved" answers that were yes / all "resolved" answers.
- escalation rate: tickets escalated / tickets opened.
- first response: median minutes from an escalation to the first operator reply after it.
- time to booking: median hours from opening a ticket to its first booking.
Rates and averages are ``null`` when nothing was counted (no survey asked is not a 0 % response rate).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.reports.facts import Event, Facts, TicketFacts

DIMENSIONS = ("brand", "province", "technician", "fault", "week")


@dataclass
class Bucket:
    """Counters for one group (or the whole period)."""

    opened: int = 0
    escalations: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    scores: list[float] = field(default_factory=list)
    asked: int = 0
    answered: int = 0
    resolved_yes: int = 0
    resolved_no: int = 0
    first_response: list[float] = field(default_factory=list)
    to_booking: list[float] = field(default_factory=list)

    def add(self, e: Event) -> None:
        if e.kind == "opened":
            self.opened += 1
        elif e.kind == "escalated":
            self.escalations += 1
            key = e.reason or "unknown"
            self.reasons[key] = self.reasons.get(key, 0) + 1
        elif e.kind == "asked":
            self.asked += 1
            self.answered += int(e.answered)
        elif e.kind == "csat" and e.value is not None:
            self.scores.append(e.value)
        elif e.kind == "resolved" and e.value is not None:
            if e.value:
                self.resolved_yes += 1
            else:
                self.resolved_no += 1
        elif e.kind == "first_response" and e.value is not None:
            self.first_response.append(e.value)
        elif e.kind == "booked" and e.value is not None:
            self.to_booking.append(e.value)

    def figures(self) -> dict[str, Any]:
        """The group's figures (the columns of the table and of the CSV)."""
        resolved = self.resolved_yes + self.resolved_no
        return {
            "tickets": self.opened,
            "escalations": self.escalations,
            "escalation_rate": _ratio(self.escalations, self.opened),
            "csat_avg": round(statistics.fmean(self.scores), 2) if self.scores else None,
            "csat_count": len(self.scores),
            "surveys_asked": self.asked,
            "response_rate": _ratio(self.answered, self.asked),
            "resolved_rate": _ratio(self.resolved_yes, resolved),
            "first_response_minutes": round(statistics.median(self.first_response), 1) if self.first_response else None,
            "time_to_booking_hours": round(statistics.median(self.to_booking), 1) if self.to_booking else None,
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


@dataclass
class Summary:
    """The period's figures overall, per group, and the lowest-scored comments."""

    since: datetime
    until: datetime
    overall: Bucket
    groups: dict[str, dict[str, Bucket]]
    lowest_comments: list[dict[str, Any]]

    def distribution(self) -> dict[str, int]:
        """How many gave each score, 1 to 5."""
        counts = {str(s): 0 for s in range(1, 6)}
        for score in self.overall.scores:
            key = str(int(score))
            if key in counts:
                counts[key] += 1
        return counts

    def rows(self, dimension: str) -> list[dict[str, Any]]:
        """The table of one dimension: ``[{"key", **figures}]``, weeks in order, others by volume."""
        buckets = self.groups.get(dimension, {})
        keys = sorted(buckets) if dimension == "week" else sorted(
            buckets, key=lambda k: (-(buckets[k].opened + len(buckets[k].scores)), k))
        return [{"key": k, **buckets[k].figures()} for k in keys]

    def to_json(self) -> dict[str, Any]:
        """One JSON object: overall figures, the distribution, every dimension's rows, lowest comments."""
        data: dict[str, Any] = {"since": self.since.isoformat(), "until": self.until.isoformat(),
                                **self.overall.figures()}
        data["csat_distribution"] = self.distribution()
        data["surveys_answered"] = self.overall.answered
        data["escalation_reasons"] = dict(sorted(self.overall.reasons.items(), key=lambda kv: -kv[1]))
        for dim in DIMENSIONS:
            data[f"by_{dim}"] = self.rows(dim)
        data["lowest_comments"] = self.lowest_comments
        return data


def week_of(moment: datetime, tz: ZoneInfo) -> str:
    """The Monday (local date, ISO) of the week ``moment`` falls in."""
    day = moment.astimezone(tz).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def summarize(facts: Facts, tz: ZoneInfo, *, province_of: Callable[[str | None], str],
              comments: int = 10) -> Summary:
    """Count ``facts`` overall and per brand, province, technician, fault and week."""
    overall = Bucket()
    groups: dict[str, dict[str, Bucket]] = {dim: {} for dim in DIMENSIONS}
    unknown = TicketFacts(0, None, None, None, None, None)
    for e in facts.events:
        overall.add(e)
        t = facts.tickets.get(e.ticket_id, unknown)
        keys = {"brand": t.brand or "未知", "province": province_of(t.adcode), "technician": t.technician or "未派师傅",
                "fault": t.fault or "未知", "week": week_of(e.at, tz)}
        for dim, key in keys.items():
            groups[dim].setdefault(key, Bucket()).add(e)
    lowest = sorted(facts.comments, key=lambda c: (c.score if c.score is not None else 6, c.at))[:comments]
    return Summary(facts.since, facts.until, overall, groups, [
        {"ticket_id": c.ticket_id, "score": c.score, "comment": c.text, "at": c.at.astimezone(tz).isoformat()}
        for c in lowest])
