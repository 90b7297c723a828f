"""Per-field behaviour of the in-process NLU engine, with plain values (not the eval sets)."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu import FAULTS, INTENTS, parse
from nlu.brands import BrandMatcher
from nlu.normalize import normalize
from nlu.settings import NluSettings

# A Monday morning in Shanghai: "周六" is 2026-11-28, "明天" 2026-11-24.
NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")


# --- brands -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "brand", "supported"),
    [
        ("丹斯提尼的柜子坏了", "丹斯提尼", True),
        ("家里是丹斯提妮牌的", "丹斯提尼", True),
        ("丹思提尼保险箱", "丹斯提尼", True),
        ("丹斯缇尼", "丹斯提尼", True),
        ("丹斯蒂尼保险柜", "丹斯提尼", True),
        ("单斯提尼的保险柜", "丹斯提尼", True),  # homophone not in the alias list: found by pinyin
        ("旗电佳指纹锁", "旗电佳", True),
        ("旗电家的锁", "旗电佳", True),
        ("奇电佳", "旗电佳", True),
        ("旗店佳门锁", "旗电佳", True),
        ("德施曼的锁", "德施曼", False),
        ("凯迪士智能锁", "凯迪仕", False),
        ("得力保险箱", "得力", False),
        ("我家是Yale的锁", "耶鲁", False),
        ("KAADAS指纹锁", "凯迪仕", False),
    ],
)
def test_brand_spellings(text: str, brand: str, supported: bool) -> None:
    p = parse(text, now=NOW)
    assert (p.brand, p.brand_supported) == (brand, supported)


@pytest.mark.parametrize(
    "text",
    [
        "保险柜打不开了",
        "我在凯德广场附近上班",  # a mall, not the safe brand
        "使命必达",
        "七点家里有人",  # sounds like 旗电佳 but no character in common
        "快递delivery到了",
        "其实电话打不通",
        "今天天气不错",
        "澄迈永发镇 保险柜打不开",  # a town, not the safe brand
        "住在小米村",
    ],
)
def test_no_brand_from_ordinary_words(text: str) -> None:
    p = parse(text, now=NOW)
    assert p.brand is None and p.brand_supported is None


def test_serviced_brand_wins_when_two_are_named() -> None:
    assert parse("以前用得力的，现在换了丹斯提尼").brand == "丹斯提尼"


def test_brand_matcher_from_a_custom_catalogue() -> None:
    config = {"brands": {"安保王": {"supported": True, "products": ["safe"], "aliases": ["anbaowang"]}}}
    matcher = BrandMatcher(NluSettings.from_config(config).brands)
    assert matcher.find(normalize("AnBaoWang 保险柜")).brand.name == "安保王"
    assert matcher.find(normalize("安宝王的柜子")).brand.name == "安保王"
    assert matcher.find(normalize("丹斯提尼")) is None


# --- products -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("保险柜", "safe"), ("保险箱坏了", "safe"), ("密码箱", "safe"), ("银行的保管箱", "safe"),
        ("指纹锁", "lock"), ("智能锁", "lock"), ("密码锁", "lock"), ("电子锁", "lock"), ("大门的门锁", "lock"),
        ("家里的锁坏了", "lock"),  # bare 锁 as a noun
        ("保险柜的密码锁坏了", "safe"),  # the lock is part of the safe
        ("丹斯提尼打不开", "safe"),  # inferred: the brand makes only safes
        ("旗电佳没电了", "lock"),
        ("被反锁了", None), ("输错被锁定了", None), ("需要开锁", None), ("你好", None),
    ],
)
def test_products(text: str, product: str | None) -> None:
    assert parse(text, now=NOW).product == product


def test_expecting_product_reads_a_bare_hint() -> None:
    assert parse("柜子", expecting="product").product == "safe"
    assert parse("柜子").product is None


# --- faults -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("柜门死活拉不开", "cannot_open"),
        ("进不了家门了", "cannot_open"),
        ("开门密码忘记了", "forgot_password"),
        ("密码好像忘了", "forgot_password"),
        ("试错几次就被锁了", "locked_out"),
        ("提示已锁定请稍后", "locked_out"),
        ("钥匙好像丢了", "lost_key"),
        ("找不到备用钥匙", "lost_key"),
        ("没电了进不去", "no_power"),
        ("按键灯不亮了", "no_power"),
        ("指纹老是识别不了", "fingerprint_fail"),
        ("半夜一直在响", "alarm"),
        ("屏幕摔裂了", "panel_damage"),
        ("键盘进水了", "panel_damage"),
        ("把手断了", "mechanical"),
        ("反锁了打不开", "mechanical"),
        ("门关不严", "mechanical"),
        ("要安装一个新的", "install"),
        ("想换个位置安装", "install"),
        ("怎么改密码", "reset"),
        ("怎么删掉别人的指纹", "reset"),
        ("输错密码被锁了", "locked_out"),
        ("没电 打不开", "no_power"),
        ("指纹锁打不开", "cannot_open"),  # 指纹 is part of the product name here
        ("换个密码锁", "install"),
        ("保险柜有点毛病", "other"),
    ],
)
def test_faults(text: str, fault: str) -> None:
    assert fault in FAULTS
    assert parse(text, now=NOW).fault == fault


@pytest.mark.parametrize(
    "text", ["你好", "谢谢", "多少钱", "师傅几点到", "13812345678", "我在上班", "我家在三楼", "确定", "错了错了"]
)
def test_no_fault_without_one(text: str) -> None:
    assert parse(text, now=NOW).fault is None


def test_expecting_fault_keeps_an_unknown_answer_as_other() -> None:
    assert parse("里面有异味", expecting="fault").fault == "other"
    assert parse("没电", expecting="fault").fault == "no_power"


# --- intents ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("我家保险柜坏了要修", "report_fault"),
        ("你好，指纹锁打不开了", "report_fault"),  # a greeting with a fault is a report
        ("谢谢，对了门锁也没电了", "report_fault"),
        ("给我转个人工", "ask_human"),
        ("不想和机器说话，找客服", "ask_human"),
        ("你们这服务我要投诉", "complaint"),
        ("师傅怎么还不来", "ask_progress"),
        ("能不能换到明天", "reschedule"),
        ("不用修了，取消吧", "cancel"),
        ("上门费怎么算", "ask_price"),
        ("您好", "greet"),
        ("太谢谢你了", "thanks"),
        ("好的没问题", "affirm"),
        ("不是的", "deny"),
        ("拜拜啦", "goodbye"),
        ("帮我订张火车票", "out_of_scope"),
        ("qwertyuiop", "out_of_scope"),
        ("", "out_of_scope"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert intent in INTENTS
    assert parse(text, now=NOW).intent == intent


# --- phones -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13912345678", "13912345678"),
        ("我手机139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("+86 13912345678", "13912345678"),
        ("+86-139-1234-5678", "13912345678"),
        ("008613912345678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),
        ("幺三九幺二三四五六七八", "13912345678"),
        ("座机021-61234567", "02161234567"),
        ("0371 6123 4567", "037161234567"),
        ("电话 010-87654321 找王先生", "01087654321"),
    ],
)
def test_valid_phones(text: str, phone: str) -> None:
    p = parse(text, now=NOW)
    assert (p.phone, p.phone_invalid) == (phone, False)


@pytest.mark.parametrize(
    ("text", "expecting"),
    [("12345", "phone"), ("电话是23812345678", None), ("1391234567", None), ("我的手机 123", None), ("12345", None)],
)
def test_invalid_phones_are_flagged(text: str, expecting: str | None) -> None:
    p = parse(text, expecting=expecting, now=NOW)
    assert p.phone is None and p.phone_invalid is True


@pytest.mark.parametrize(
    "text",
    ["邮编454850", "上门费50元", "明天10点", "10:30来", "2026-11-24", "3号楼2单元", "订单号 2026112301 的进度", "1"],
)
def test_numbers_that_are_not_phones(text: str) -> None:
    p = parse(text, now=NOW)
    assert (p.phone, p.phone_invalid) == (None, False)


# --- time ---------------------------------------------------------------------------------------

def _window(text: str, expecting: str | None = None) -> tuple[bool, str | None, str | None]:
    when = parse(text, now=NOW, expecting=expecting).when
    assert when is not None, text
    j = when.to_json()
    return j["asap"], j["start"], j["end"]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("今天下午", "2026-11-23T12:00:00+08:00", "2026-11-23T18:00:00+08:00"),
        ("明晚", "2026-11-24T18:00:00+08:00", "2026-11-24T21:00:00+08:00"),
        ("明早", "2026-11-24T08:00:00+08:00", "2026-11-24T10:00:00+08:00"),
        ("后天上午来吧", "2026-11-25T09:00:00+08:00", "2026-11-25T12:00:00+08:00"),
        ("周六上午", "2026-11-28T09:00:00+08:00", "2026-11-28T12:00:00+08:00"),
        ("星期天下午", "2026-11-29T12:00:00+08:00", "2026-11-29T18:00:00+08:00"),
        ("下周三", "2026-12-02T09:00:00+08:00", "2026-12-02T21:00:00+08:00"),
        ("今天晚上7点以后", "2026-11-23T19:00:00+08:00", "2026-11-23T21:00:00+08:00"),
        ("明天10点", "2026-11-24T10:00:00+08:00", "2026-11-24T11:00:00+08:00"),
        ("明天下午两点半", "2026-11-24T14:30:00+08:00", "2026-11-24T15:30:00+08:00"),
        ("明天下午2点到4点", "2026-11-24T14:00:00+08:00", "2026-11-24T16:00:00+08:00"),
        ("今天上午", "2026-11-23T10:00:00+08:00", "2026-11-23T12:00:00+08:00"),  # already begun: from now
        ("上午", "2026-11-23T10:00:00+08:00", "2026-11-23T12:00:00+08:00"),
        ("早上", "2026-11-24T08:00:00+08:00", "2026-11-24T10:00:00+08:00"),  # today's is over
        ("周末", "2026-11-28T09:00:00+08:00", "2026-11-29T21:00:00+08:00"),
        ("30号下午", "2026-11-30T12:00:00+08:00", "2026-11-30T18:00:00+08:00"),
        ("明天一早", "2026-11-24T08:00:00+08:00", "2026-11-24T10:00:00+08:00"),
        ("明天下班后", "2026-11-24T18:00:00+08:00", "2026-11-24T21:00:00+08:00"),
        ("12月3号", "2026-12-03T09:00:00+08:00", "2026-12-03T21:00:00+08:00"),
    ],
)
def test_time_windows(text: str, start: str, end: str) -> None:
    assert _window(text) == (False, start, end)


@pytest.mark.parametrize("text", ["越快越好", "马上来", "尽快安排", "能不能立刻过来"])
def test_asap(text: str) -> None:
    assert _window(text) == (True, None, None)


def test_asap_with_a_day_keeps_the_window() -> None:
    assert _window("今天越快越好") == (True, "2026-11-23T10:00:00+08:00", "2026-11-23T21:00:00+08:00")


def test_saturday_said_on_saturday_after_the_window_means_next_week() -> None:
    saturday_evening = datetime.fromisoformat("2026-11-28T20:00:00+08:00")
    j = parse("周六上午", now=saturday_evening).when.to_json()
    assert j["start"] == "2026-12-05T09:00:00+08:00"


def test_naive_and_foreign_now_are_read_in_shanghai_time() -> None:
    utc = datetime.fromisoformat("2026-11-23T02:00:00+00:00")
    assert parse("明天上午", now=utc).when.to_json()["start"] == "2026-11-24T09:00:00+08:00"
    naive = datetime(2026, 11, 23, 10, 0)
    assert parse("明天上午", now=naive).when.to_json()["start"] == "2026-11-24T09:00:00+08:00"


@pytest.mark.parametrize(
    "text", ["早上好", "保险柜打不开", "晚安", "13812345678", "人民路25号", "地铁5号线旁边", "3号楼2单元", "周口市"]
)
def test_no_time_without_one(text: str) -> None:
    assert parse(text, now=NOW).when is None


# --- expecting ----------------------------------------------------------------------------------

def test_expecting_phone_reads_a_bare_number() -> None:
    p = parse("13812345678", expecting="phone", now=NOW)
    assert (p.phone, p.phone_invalid, p.intent) == ("13812345678", False, "report_fault")


def test_expecting_brand_reads_a_bare_brand() -> None:
    p = parse("旗电佳", expecting="brand", now=NOW)
    assert (p.brand, p.brand_supported, p.product, p.intent) == ("旗电佳", True, "lock", "report_fault")


def test_expecting_time_reads_a_bare_day_part() -> None:
    assert _window("下午", expecting="time")[1:] == ("2026-11-23T12:00:00+08:00", "2026-11-23T18:00:00+08:00")


def test_unknown_expecting_is_ignored() -> None:
    assert parse("你好", expecting="nonsense").intent == "greet"


@pytest.mark.parametrize(("text", "brand"), [("海尔", "海尔"), ("是雅洁牌的", "雅洁"), ("海尔保险柜", "海尔")])
def test_expecting_brand_keeps_a_brand_outside_the_catalogue_as_unsupported(text: str, brand: str) -> None:
    p = parse(text, expecting="brand", now=NOW)
    assert (p.brand, p.brand_supported) == (brand, False)


@pytest.mark.parametrize("text", ["不知道", "没有牌子", "不记得了", "13812345678", "明天下午"])
def test_expecting_brand_does_not_invent_one(text: str) -> None:
    assert parse(text, expecting="brand", now=NOW).brand is None


def test_a_bare_unknown_word_is_no_brand_without_the_question() -> None:
    assert parse("海尔", now=NOW).brand is None


# --- place adapter ------------------------------------------------------------------------------

def test_place_adapter_maps_the_gazetteer_match(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlu import places
    from regions.place import Place, PlaceMatch

    a = Place("350102", "福建省", "福州市", "鼓楼区")
    b = Place("320106", "江苏省", "南京市", "鼓楼区")
    calls = []

    def fake_find(text: str, *, expecting: bool = False) -> PlaceMatch:
        calls.append((text, expecting))
        return {"鼓楼区": PlaceMatch(candidates=(a, b)), "福州鼓楼": PlaceMatch(place=a)}.get(text, PlaceMatch())

    monkeypatch.setattr(places, "_finder", lambda: fake_find)
    assert places.read_place("鼓楼区") == (None, (a, b))
    assert places.read_place("福州鼓楼", expecting=True) == (a, ())
    assert places.read_place("没有地名") == (None, ())
    assert calls[1] == ("福州鼓楼", True)


def test_place_adapter_survives_a_failing_gazetteer(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlu import places

    def broken(text: str, *, expecting: bool = False):
        raise RuntimeError("gazetteer bug")

    monkeypatch.setattr(places, "_finder", lambda: broken)
    p = parse("丹斯提尼保险柜没电了", now=NOW)
    assert (p.place, p.fault, p.brand) == (None, "no_power", "丹斯提尼")


def test_expecting_place_is_passed_to_the_gazetteer() -> None:
    p = parse("温县", expecting="place", now=NOW)
    if p.place is None:
        pytest.skip("gazetteer not available")
    assert (p.place.county, p.intent) == ("温县", "report_fault")


@pytest.mark.parametrize("text", ["门锁屏幕一点都不亮", "保险柜一点儿也没反应了", "按了一点也不动"])
def test_not_at_all_is_no_clock_time(text: str) -> None:
    """"一点都不亮" says how dead the panel is; it never asks for a visit at one o'clock."""
    assert parse(text).when is None


@pytest.mark.parametrize("text", ["晋祠路一段8号", "建设路二期3号", "光明路东段12号"])
def test_a_house_number_after_a_road_section_is_no_date(text: str) -> None:
    assert parse(text).when is None


def test_one_oclock_is_still_a_time() -> None:
    assert parse("明天下午一点来").when is not None


@pytest.mark.parametrize("text", ["保险柜显示 bat lo", "门锁屏幕 LO BAT"])
def test_panel_battery_codes_are_no_power(text: str) -> None:
    assert parse(text).fault == "no_power"


@pytest.mark.parametrize(("text", "product"), [("不是保险柜，是门锁，旗电佳的", "lock"), ("倒不是门锁，是保险箱坏了", "safe"),
                                               ("保险柜的密码锁坏了", "safe")])
def test_a_denied_product_gives_way_to_the_other(text: str, product: str) -> None:
    assert parse(text).product == product


@pytest.mark.parametrize(("text", "fault"), [("门锁屏幕闪烁 LOW POWER", "no_power"), ("保险柜显示 BATT", "no_power"),
                                             ("门锁语音“非法用户”", "alarm"), ("显示密码错误三次后就锁了", "locked_out")])
def test_more_panel_messages(text: str, fault: str) -> None:
    assert parse(text).fault == fault


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("密码锁屏上有个电池图标一闪一闪", "no_power"),
        ("保险箱开机就提示充电", "no_power"),
        ("门锁半夜一直滴滴滴的", "alarm"),
        ("保险柜老是嘟嘟嘟，停不下来", "alarm"),
    ],
)
def test_what_the_device_shows_or_sounds_like(text: str, fault: str) -> None:
    """A battery icon or a charge prompt is a power fault; a beep that goes on is an alarm."""
    assert parse(text).fault == fault
