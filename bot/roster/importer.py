"""``technicians import``: the checked rows of a roster CSV into the database, by code.

Re-importing a file changes nothing; a changed row updates that technician in place; technicians not
in the file are left as they are (a file may list only some of them: switch one off with
``active = no``). Codes belonging to config.yml or the demo roster (and every ``DEMO-`` code) are
refused row by row: those technicians are managed where they come from, and the next start-up would
overwrite the import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from bot.roster.demo import DEMO_CODE_PREFIX
from bot.roster.sync import SyncReport, apply_specs, existing_technicians, take_roster_lock
from bot.roster.table import Rejection, RosterFile

IMPORT = "import"
_OWNERS = {"config": "config.yml", "demo": "the demo roster"}


@dataclass(slots=True)
class ImportResult:
    """What an import did (or, with ``dry_run``, would do), and every rejected row."""

    report: SyncReport
    rejected: list[Rejection] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejected})

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "dry_run": self.dry_run, **self.report.to_json(), "unchanged": self.report.unchanged,
            "rejected_rows": self.rejected_rows, "rejected": [r.to_json() for r in self.rejected],
        }  # fmt: skip


def import_roster(session: Session, roster: RosterFile, *, dry_run: bool = False) -> ImportResult:
    """Write the good rows of ``roster``; with ``dry_run`` report the changes and roll them back."""
    take_roster_lock(session)
    existing = existing_technicians(session, [spec.code for _, spec in roster.specs], ())
    rejected = list(roster.rejected)
    accepted = []
    for line, spec in roster.specs:
        tech = existing.get(spec.code)
        if tech is not None and tech.source != IMPORT:
            reason = f"{spec.code} belongs to {_OWNERS.get(tech.source, tech.source)}; change it there"
            rejected.append(Rejection(line, "code", reason, spec.code))
            continue
        if spec.code.upper().startswith(DEMO_CODE_PREFIX):
            rejected.append(Rejection(line, "code", f"codes starting with {DEMO_CODE_PREFIX} are kept for the demo "
                                      "roster", spec.code))
            continue
        accepted.append(spec)
    mine = {spec.code: existing[spec.code] for spec in accepted if spec.code in existing}
    savepoint = session.begin_nested() if dry_run else None
    report = apply_specs(session, accepted, owned=(), actor=IMPORT, existing=mine)
    if savepoint is not None:
        savepoint.rollback()
    rejected.sort(key=lambda r: r.row)
    return ImportResult(report=report, rejected=rejected, rows=roster.rows, dry_run=dry_run)
