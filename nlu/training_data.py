"""Read Rasa-format NLU training files (``version: "3.1"``): the single source for both engines.

Supported items: ``intent`` (examples with inline entity annotations), ``synonym``, ``lookup`` and
``regex``. Annotations may be ``[span](entity)``, ``[span](entity:value)`` or
``[span]{"entity": "...", "value": "..."}``, as Rasa reads them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"

_ANNOTATION = re.compile(r"\[(?P<span>[^\]\[]+)\](?:\((?P<paren>[^)]*)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True, slots=True)
class Entity:
    """An annotated span inside an example (offsets into the plain text)."""

    start: int
    end: int
    entity: str
    value: str


@dataclass(frozen=True, slots=True)
class Example:
    """One training message: plain text, its intent and its annotated entities."""

    text: str
    intent: str
    entities: tuple[Entity, ...] = ()


@dataclass(slots=True)
class TrainingData:
    """Everything read from the training files."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # phrase -> canonical value
    lookups: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)

    def synonyms_for(self, values: set[str] | tuple[str, ...]) -> dict[str, str]:
        """The synonym phrases whose canonical value is one of ``values``."""
        wanted = set(values)
        return {phrase: value for phrase, value in self.synonyms.items() if value in wanted}


def parse_example(line: str, intent: str) -> Example:
    """Turn one annotated example line into plain text plus entities."""
    plain: list[str] = []
    entities: list[Entity] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(line):
        before = line[pos : m.start()]
        plain.append(before)
        length += len(before)
        span = m.group("span")
        if m.group("json") is not None:
            meta = json.loads(m.group("json"))
            name = str(meta["entity"])
            value = str(meta.get("value", span))
        else:
            name, _, value = (m.group("paren") or "").partition(":")
            value = value or span
        entities.append(Entity(length, length + len(span), name, value))
        plain.append(span)
        length += len(span)
        pos = m.end()
    plain.append(line[pos:])
    return Example("".join(plain), intent, tuple(entities))


def _example_lines(block: object) -> list[str]:
    lines = []
    for raw in str(block or "").splitlines():
        line = raw.strip()
        if line.startswith("- "):
            line = line[2:].strip()
        elif line == "-":
            continue
        if line:
            lines.append(line)
    return lines


def read_training_data(data_dir: Path = DATA_DIR) -> TrainingData:
    """Read every ``*.yml`` file of the folder (not cached; see :func:`training_data`)."""
    data = TrainingData()
    for path in sorted(Path(data_dir).glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            lines = _example_lines(item.get("examples"))
            if "intent" in item:
                data.examples.extend(parse_example(line, str(item["intent"])) for line in lines)
            elif "synonym" in item:
                for line in lines:
                    data.synonyms[line.lower()] = str(item["synonym"])
            elif "lookup" in item:
                data.lookups.setdefault(str(item["lookup"]), []).extend(lines)
            elif "regex" in item:
                data.regexes.setdefault(str(item["regex"]), []).extend(lines)
    return data


@cache
def training_data() -> TrainingData:
    """The packaged training data, read once per process."""
    return read_training_data(DATA_DIR)
