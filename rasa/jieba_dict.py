"""Write a jieba user dictionary from the lookup tables and synonyms in Rasa training files.

usage: python rasa/jieba_dict.py NLU_DATA_DIR OUT_FILE   (run with the Rasa venv's interpreter)

Brand names, product words, fault phrases and annotated entity spans become single tokens, so
JiebaTokenizer does not split 丹斯提尼 into 丹/斯/提尼, DIET sees the same units the lookup tables
describe, and entity annotations line up with token boundaries.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

# High enough that jieba prefers these words over its own segmentation of the same characters.
FREQUENCY = 2000
# An annotated entity span inside an intent example: [没电了]{"entity": ...} or [旗电佳](brand).
SPAN = re.compile(r"\[([^\]\[]+)\](?=[({])")


def phrases(data_dir: Path) -> list[str]:
    """Lookup-table entries, synonym examples and annotated entity spans, deduplicated."""
    seen: dict[str, None] = {}
    for path in sorted(data_dir.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            lines = str(item.get("examples") or "").splitlines()
            if "intent" in item:
                # Annotated spans become tokens too, so entity boundaries match token boundaries.
                words = [m.group(1) for line in lines for m in SPAN.finditer(line)]
            elif "lookup" in item or "synonym" in item:
                words = [line.strip().removeprefix("- ").strip() for line in lines]
            else:
                continue
            for word in words:
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
