"""Write a jieba user dictionary from the lookup tables and synonyms in Rasa training files.

usage: python rasa/jieba_dict.py NLU_DATA_DIR OUT_FILE   (run with the Rasa venv's interpreter)

Brand names, product words and fault phrases become single tokens, so JiebaTokenizer does not split
丹斯提尼 into 丹/斯/提尼 and DIET sees the same units the lookup tables describe.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

# High enough that jieba prefers these words over its own segmentation of the same characters.
FREQUENCY = 2000


def phrases(data_dir: Path) -> list[str]:
    """Every lookup-table entry and synonym example in the folder's YAML files, deduplicated."""
    seen: dict[str, None] = {}
    for path in sorted(data_dir.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if "lookup" not in item and "synonym" not in item:
                continue
            for line in str(item.get("examples") or "").splitlines():
                word = line.strip().removeprefix("- ").strip()
                # jieba's dictionary format is whitespace-separated, so multi-word entries cannot go in.
                if word and not any(ch.isspace() for ch in word):
                    seen[word] = None
    return list(seen)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    words = phrases(Path(argv[1]))
    out = Path(argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{w} {FREQUENCY}\n" for w in words), encoding="utf-8")
    print(f"[rasa] jieba user dictionary: {len(words)} words -> {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
