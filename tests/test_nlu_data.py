"""The Rasa-format training data: well-formed, complete, consistent with config, not the eval set."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from bot.config import load_config
from nlu.classifier import NaiveBayes, ngrams
from nlu.training_data import DATA_DIR, parse_example, read_training_data
from nlu.types import FAULTS, INTENTS

ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="module")
def data():
    return read_training_data(DATA_DIR)


def test_every_file_is_rasa_3_1_nlu_data() -> None:
    files = sorted(DATA_DIR.glob("*.yml"))
    assert {f.name for f in files} >= {"nlu.yml", "faults.yml", "synonyms.yml", "lookups.yml"}
    for path in files:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["version"] == "3.1", path
        assert set(doc) == {"version", "nlu"}, path
        for item in doc["nlu"]:
            assert len({"intent", "synonym", "lookup", "regex"} & set(item)) == 1, item
            assert isinstance(item["examples"], str) and item["examples"].strip(), item


def test_all_intents_have_varied_examples(data) -> None:
    counts = {intent: 0 for intent in INTENTS}
    for example in data.examples:
        assert example.intent in INTENTS, example
        counts[example.intent] += 1
    assert min(counts.values()) >= 15, counts
    texts = [e.text for e in data.examples]
    assert len(texts) == len(set(texts)), "duplicate examples"


def test_every_fault_has_annotated_examples_and_phrases(data) -> None:
    annotated = {e.value for ex in data.examples for e in ex.entities if e.entity == "fault"}
    assert annotated == set(FAULTS)
    assert set(data.synonyms_for(FAULTS).values()) == set(FAULTS)
    for ex in data.examples:
        for e in ex.entities:
            assert e.value in FAULTS and ex.text[e.start : e.end], ex
    regex_codes = {name.removeprefix("fault_") for name in data.regexes if name.startswith("fault_")}
    assert regex_codes <= set(FAULTS)
    # The other regexes are read by name (nlu/urgency.py, nlu/faults.py): a typo would silently drop one.
    others = {name for name in data.regexes if not name.startswith("fault_")}
    assert others == {
        "urgent_shut_out", "shut_in_person", "shut_in_strong", "shut_in_weak", "shut_in_inside", "fire",
        "urgent_now", "not_urgent", "deny_before", "deny_inside", "deny_after",
    }


def test_lookup_tables_mirror_the_config_catalogue(data) -> None:
    config = load_config()
    spellings = {name for name in config["brands"]} | {
        alias for entry in config["brands"].values() for alias in entry.get("aliases", [])
    }
    assert set(data.lookups["brand"]) == spellings
    words = {w for entry in config["products"].values() for w in entry["words"]}
    assert set(data.lookups["product"]) == words
    assert set(data.lookups["fault"]) == set(data.synonyms_for(FAULTS))
    for name, entry in config["brands"].items():
        for alias in entry.get("aliases", []):
            assert data.synonyms[alias.lower()] == name


@pytest.mark.skipif(not EVAL_DIR.exists(), reason="no eval set beside the project")
def test_training_data_does_not_contain_eval_texts(data) -> None:
    eval_texts = set()
    for line in (EVAL_DIR / "nlu_dev.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            eval_texts.add(json.loads(line)["text"])
    for name in ("intent_dev.tsv", "slot_dev.tsv"):
        for line in (EVAL_DIR / name).read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                eval_texts.add(line.split("\t")[0])
    overlap = {e.text for e in data.examples} & eval_texts
    assert not overlap


def test_annotation_forms_rasa_accepts() -> None:
    ex = parse_example('保险柜[没电了]{"entity": "fault", "value": "no_power"}，[旗电佳](brand)的[锁](product:lock)', "report_fault")
    assert ex.text == "保险柜没电了，旗电佳的锁"
    assert [(e.entity, e.value, ex.text[e.start : e.end]) for e in ex.entities] == [
        ("fault", "no_power", "没电了"), ("brand", "旗电佳", "旗电佳"), ("product", "lock", "锁"),
    ]


def test_naive_bayes_learns_and_reports_uncertainty() -> None:
    model = NaiveBayes().fit([("你好", "greet"), ("您好呀", "greet"), ("谢谢", "thanks"), ("多谢你", "thanks")])
    assert model.predict("你好啊").label == "greet"
    assert model.predict("谢谢啦").label == "thanks"
    assert model.predict("") is None
    assert model.known_fraction("完全陌生的句子") < 0.2
    assert "\x02你" in ngrams("你好")  # start marker distinguishes 对 from 不对


def test_jieba_dictionary_builder_reads_lookups_and_synonyms(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("jieba_dict", ROOT / "rasa" / "jieba_dict.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "userdict.txt"
    assert module.main(["jieba_dict.py", str(DATA_DIR), str(out)]) == 0
    words = {line.split()[0] for line in out.read_text(encoding="utf-8").splitlines()}
    assert {"丹斯提尼", "旗电家", "保险柜", "忘记密码"} <= words
    assert all(len(line.split()) == 2 for line in out.read_text(encoding="utf-8").splitlines())
