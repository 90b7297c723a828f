"""Write a jieba user dictionary from the lookup tables and synonyms in Rasa training files.

usage: python rasa/jieba_dict.py NLU_DATA_DIR OUT_FILE   (run with the Rasa venv's interpreter)

Brand names, product words, fault phrases and annotated entity spans become single tokens, so
JiebaTokenizer does not split 丹斯提尼 into 丹/斯/提尼 and DIET sees the same units the lookup tables
describe.

Entity annotations must start and end on token boundaries, and a longer dictionary word can break that
for another example: with 打不开了 in the dictionary (annotated in one example), "我家保险箱[打不开]了"
is read as 打不开了 and the entity 打不开 ends inside a token; with 门关不上 (a fault phrase), "门[关不上]了"
starts inside one. So every annotated example is tokenised with the dictionary, and a word that crosses
an entity boundary is dropped from it (ours) or written with frequency 1 (jieba's own), until every
example is aligned. Shorter words never hurt alignment: boundaries only need to coincide.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import yaml

# High enough that jieba prefers these words over its own segmentation of the same characters.
FREQUENCY = 2000
DEMOTED = 1
MAX_ROUNDS = 10
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


def annotated_examples(data_dir: Path) -> list[tuple[str, list[tuple[int, int]]]]:
    """``(plain text, entity spans)`` of every example with an annotation (read as the app reads them)."""
    path = Path(__file__).resolve().parent.parent / "nlu" / "training_data.py"
    spec = importlib.util.spec_from_file_location("repairbot_training_data", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    data = module.read_training_data(data_dir)
    return [(ex.text, [(e.start, e.end) for e in ex.entities]) for ex in data.examples if ex.entities]


def crossing_words(tokenizer, examples: list[tuple[str, list[tuple[int, int]]]]) -> set[str]:  # type: ignore[no-untyped-def]
    """Tokens that start or end inside an entity span of their example."""
    found = set()
    for text, spans in examples:
        for word, start, end in tokenizer.tokenize(text):
            if any(start < s < end or start < e < end for s, e in spans):
                found.add(word)
    return found


def aligned_dictionary(words: list[str], examples: list[tuple[str, list[tuple[int, int]]]]) -> dict[str, int]:
    """Word → frequency such that jieba keeps every annotated entity on token boundaries."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    chosen = dict.fromkeys(words, FREQUENCY)
    for _ in range(MAX_ROUNDS):
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        for word, freq in chosen.items():
            tokenizer.add_word(word, freq)
        crossing = crossing_words(tokenizer, examples)
        if not crossing:
            return chosen
        for word in crossing:
            if chosen.get(word) == FREQUENCY:
                del chosen[word]  # one of ours: the shorter words around it still cover the phrase
            else:
                chosen[word] = DEMOTED  # jieba's own word: keep it known, but rarely chosen
    raise SystemExit(f"[rasa] could not align the entity annotations with jieba: {sorted(crossing)}")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    data_dir = Path(argv[1])
    words = phrases(data_dir)
    chosen = aligned_dictionary(words, annotated_examples(data_dir))
    dropped = sorted(set(words) - set(chosen))
    out = Path(argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(f"{w} {freq}\n" for w, freq in chosen.items()), encoding="utf-8")
    print(
        f"[rasa] jieba user dictionary: {len(chosen)} words -> {out}"
        + (f" (left out to keep entities aligned: {', '.join(dropped)})" if dropped else ""),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
