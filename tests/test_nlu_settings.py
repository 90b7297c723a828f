"""The NLU takes its configuration as a value passed down (NluSettings), never from bot.config."""

from __future__ import annotations

import copy

import pytest

from bot.config import load_config
from bot.engine import Engine
from nlu import NluSettings, SettingsError, build_engine


def _config_with_brand(name: str) -> dict:
    config = copy.deepcopy(load_config())
    config["brands"] = {name: {"supported": True, "products": ["safe"], "aliases": ["anbaowang"]}}
    return config


def test_engine_reads_with_the_config_it_was_given() -> None:
    engine = Engine(None, config=_config_with_brand("安保王"))  # type: ignore[arg-type]  (no database needed)
    p = engine.nlu("安保王打不开了")
    assert (p.brand, p.brand_supported, p.product) == ("安保王", True, "safe")
    # The brands of config.yml are not in that config: 丹斯提尼 is not known to this engine.
    assert engine.nlu("丹斯提尼保险柜打不开").brand is None


def test_default_parse_uses_the_registered_config() -> None:
    from nlu import parse

    assert parse("丹斯提尼保险柜打不开").brand == "丹斯提尼"
    assert parse("安保王打不开了").brand is None


def test_equal_settings_share_one_engine() -> None:
    config = _config_with_brand("安保王")
    assert build_engine(NluSettings.from_config(config)) is build_engine(NluSettings.from_config(copy.deepcopy(config)))


def test_time_words_and_zone_come_from_the_settings() -> None:
    from datetime import datetime

    config = {"timezone": "Asia/Urumqi", "nlu": {"day_parts": {"下午": [14, 19]}}}
    engine = build_engine(NluSettings.from_config(config))
    when = engine.parse("明天下午", now=datetime.fromisoformat("2026-11-23T10:00:00+06:00")).when
    assert when is not None
    assert (when.start.isoformat(), when.end.isoformat()) == ("2026-11-24T14:00:00+06:00", "2026-11-24T19:00:00+06:00")


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"brands": ["丹斯提尼"]}, "brands"),
        ({"brands": {"X": {"aliases": "x"}}}, "brands.X.aliases"),
        ({"products": {"safe": {"words": "保险柜"}}}, "products.safe.words"),
        ({"nlu": {"day_parts": {"下午": [18, 12]}}}, "nlu.day_parts.下午"),
        ({"nlu": {"backend": "bert"}}, "nlu.backend"),
        ({"nlu": {"rasa_timeout_s": "fast"}}, "nlu.rasa_timeout_s"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
    ],
)
def test_a_bad_setting_names_its_key(config: dict, key: str) -> None:
    with pytest.raises(SettingsError, match=key.replace(".", r"\.")):
        NluSettings.from_config(config)


def test_environment_overrides_the_backend_only_when_passed() -> None:
    config = {"nlu": {"backend": "default", "rasa_min_confidence": 0.75}}
    assert NluSettings.from_config(config).backend == "default"
    settings = NluSettings.from_config(config, {"REPAIRBOT_NLU_BACKEND": "rasa", "RASA_TOKEN": "t"})
    assert (settings.backend, settings.rasa_token, settings.rasa_min_confidence) == ("rasa", "t", 0.75)
