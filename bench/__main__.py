"""Run every benchmark module and print their results as one JSON object.

Each ``bench/<name>_bench.py`` exposes ``run() -> dict``; its result appears under ``<name>``.
``python -m bench NAME ...`` runs only the named ones.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    wanted = set(argv)
    results: dict[str, object] = {
        "machine": {"python": platform.python_version(), "cpus": _cpus(), "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
    }
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not info.name.endswith("_bench"):
            continue
        name = info.name.removesuffix("_bench")
        if wanted and name not in wanted:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            results[name] = module.run()
        except Exception as exc:  # a broken benchmark must not hide the others
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
