"""Build bot/data/demo_technicians.csv from the service areas and the gazetteer (``make roster``).

    python scripts/build_demo_roster.py [--max-eta 60] [--max-per-prefecture 8] [--check]

Writes the file (or, with ``--check``, exits 1 when the committed file differs from what would be
built) and prints the reach figures as JSON on stdout: how far each served county is from its nearest
demo technician of the brand, in km and in travel minutes under config.yml's ``booking`` model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.roster.demo import DEFAULT_FILE  # noqa: E402
from bot.roster.generate import demo_technicians, reach, render_csv  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-eta", type=int, default=60,
                        help="add technicians until every served county is this many minutes away (default 60)")
    parser.add_argument("--max-per-prefecture", type=int, default=8, help="at most this many per brand and prefecture")
    parser.add_argument("--out", type=Path, default=DEFAULT_FILE, help=f"output file (default {DEFAULT_FILE})")
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    config = load_config()
    technicians = demo_technicians(config, max_eta=args.max_eta, max_per_prefecture=args.max_per_prefecture)
    text = render_csv(technicians)
    print(json.dumps(reach(technicians, config), ensure_ascii=False))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is out of date: run `make roster`", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(technicians)} technicians to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
