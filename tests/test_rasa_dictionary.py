"""The jieba user dictionary written for the Rasa pipeline keeps every annotated entity on token boundaries."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

jieba = pytest.importorskip("jieba")  # a dev dependency; the app itself never imports it

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("jieba_dict", ROOT / "rasa" / "jieba_dict.py")
jieba_dict = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(jieba_dict)


@pytest.fixture(scope="module")
def examples() -> list:
    return jieba_dict.annotated_examples(ROOT / "nlu" / "data")


def _tokenizer(dictionary: dict[str, int]):  # type: ignore[no-untyped-def]
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word, freq in dictionary.items():
        tokenizer.add_word(word, freq)
    return tokenizer


def test_every_annotation_lands_on_token_boundaries(examples: list) -> None:
    dictionary = jieba_dict.aligned_dictionary(jieba_dict.phrases(ROOT / "nlu" / "data"), examples)
    assert jieba_dict.crossing_words(_tokenizer(dictionary), examples) == set()
    # Brand names and product words stay single tokens (the reason for the dictionary).
    assert {"丹斯提尼", "旗电佳", "保险柜", "指纹锁"} <= set(dictionary)


def test_a_word_that_would_cut_an_entity_is_left_out() -> None:
    # 打不开了 as one word cuts the entity 打不开 in "我家保险箱[打不开]了".
    examples = [("我家保险箱打不开了", [(5, 8)]), ("保险柜突然打不开了", [(5, 9)])]
    dictionary = jieba_dict.aligned_dictionary(["打不开了", "打不开", "保险箱"], examples)
    assert "打不开了" not in dictionary and {"打不开", "保险箱"} <= set(dictionary)
    assert jieba_dict.crossing_words(_tokenizer(dictionary), examples) == set()
