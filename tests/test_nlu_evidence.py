"""The classifiers read evidence, not slots: places, phones, brands and times do not steer intent or fault.

Phrasings here are varied on purpose (not only the ones first reported): the behaviour under test is
the cause (a guess with no evidence, characters of a place name read as words), not a string.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu import parse
from nlu.evidence import fault_text, intent_text, place_words
from nlu.settings import NluSettings
from nlu.when import TimeReader
from regions.place import Place

NOW = datetime.fromisoformat("2026-11-23T10:00:00+08:00")
_TIME = TimeReader(NluSettings())  # the built-in day parts, Asia/Shanghai
read_when, strip_time = _TIME.read, _TIME.strip


# --- a product, a place, a brand or a phone is not a fault ---------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "鼓楼区 保险柜",
        "甘孜九龙 保险柜",
        "神农架林区 保险柜",
        "朝阳区的指纹锁",
        "我在西湖区，保险箱",
        "江苏沭阳 旗电佳门锁",
        "红河蒙自 密码锁",
        "保险柜 13912345678",
        "焦作温县 丹斯提尼保险柜 13812345678",
        "丹斯提尼 0371-61234567",
    ],
)
def test_slots_without_a_fault_word_give_no_fault(text: str) -> None:
    p = parse(text, now=NOW)
    assert p.fault is None
    assert p.intent == "report_fault"  # still a repair request: a product or place was named


@pytest.mark.parametrize(
    "text",
    ["我的手机号是138-1234-5678，座机0391-1234567", "手机号13812345678", "我的电话 139 1234 5678"],
)
def test_giving_a_phone_is_not_a_fault_nor_a_refusal(text: str) -> None:
    p = parse(text, now=NOW)
    assert p.fault is None
    assert p.phone is not None
    assert p.intent not in ("deny", "complaint", "ask_human")


def test_a_stated_fault_is_still_found_beside_slots() -> None:
    assert parse("丽江古城区 保险箱钥匙丢了", now=NOW).fault == "lost_key"
    assert parse("焦作温县 保险柜打不开 13812345678", now=NOW).fault == "cannot_open"


# --- characters of a place name are not words ----------------------------------------------------

@pytest.mark.parametrize(
    ("text", "fault"),
    [("海南贵德 保险柜 报警", "alarm"), ("贵阳 保险柜打不开", "cannot_open"), ("贵州遵义 指纹锁没电了", "no_power")],
)
def test_gui_in_a_place_name_is_not_a_price_question(text: str, fault: str) -> None:
    p = parse(text, now=NOW)
    assert (p.intent, p.fault) == ("report_fault", fault)


def test_intent_text_removes_places_phones_brands_and_times() -> None:
    place = Place("632523", "青海省", "海南藏族自治州", "贵德县")
    residue = intent_text("海南贵德 丹斯提尼保险柜 报警 13812345678 明天下午", places=(place,), brand_span=(5, 9),
                           strip_time=strip_time)
    assert "贵" not in residue and "丹" not in residue and "138" not in residue and "明天" not in residue
    assert "保险柜" in residue and "报警" in residue
    assert fault_text(residue, ("保险柜",)).split() == ["报警"]


def test_place_words_include_names_without_suffix() -> None:
    words = place_words([Place("513324", "四川省", "甘孜藏族自治州", "九龙县"), Place("429021", "湖北省", None, "神农架林区")])
    assert {"甘孜", "九龙", "神农架", "四川", "甘孜藏族自治州"} <= words


# --- intents near a border -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("丹斯提尼保险柜忘记密码，开锁多少钱", "forgot_password"),
        ("指纹锁没电了，过来一趟要多少钱", "no_power"),
        ("保险箱打不开了，开一下收费吗", "cannot_open"),
    ],
)
def test_a_price_question_about_a_fault_is_ask_price_and_keeps_the_fault(text: str, fault: str) -> None:
    p = parse(text, now=NOW)
    assert (p.intent, p.fault) == ("ask_price", fault)


@pytest.mark.parametrize("text", ["我就是要你们派人来修", "派个师傅过来修就行了", "你们赶快派人来修吧"])
def test_insisting_on_a_visit_is_a_repair_request_not_a_complaint(text: str) -> None:
    assert parse(text, now=NOW).intent == "report_fault"


@pytest.mark.parametrize(
    ("text", "brand"), [("德施曼的锁你们修吗", "德施曼"), ("凯迪仕智能锁你们能修不", "凯迪仕"), ("萤石的门锁修不修", "萤石")]
)
def test_asking_whether_a_brand_is_repaired_is_a_repair_request(text: str, brand: str) -> None:
    p = parse(text, now=NOW)
    assert (p.intent, p.brand, p.product) == ("report_fault", brand, "lock")


@pytest.mark.parametrize("text", ["不想留电话", "为什么要电话", "电话不想给你们", "不用了谢谢", "不需要了，谢谢啊"])
def test_declining_is_not_a_handoff_nor_thanks(text: str) -> None:
    assert parse(text, now=NOW).intent in ("deny", "cancel", "out_of_scope")


@pytest.mark.parametrize("text", ["有没有早一点的", "能再晚一点吗", "还有没有更早的时段"])
def test_asking_for_another_slot_is_reschedule_with_no_invented_time(text: str) -> None:
    p = parse(text, now=NOW)
    assert p.intent == "reschedule"
    assert p.when is None


@pytest.mark.parametrize(
    ("text", "day", "start_hour"),
    [("明天下午能来吗，我在温县", 24, 12), ("周六上午能上门吗", 28, 9), ("今晚能过来修吗", 23, 18)],
)
def test_asking_for_a_visit_at_a_time_is_a_request_and_keeps_the_time(text: str, day: int, start_hour: int) -> None:
    p = parse(text, now=NOW)
    assert p.intent in ("report_fault", "affirm")
    assert p.when is not None and (p.when.start.day, p.when.start.hour) == (day, start_hour)


def test_changing_a_named_time_is_still_reschedule() -> None:
    assert parse("我想明天下午改到后天上午", now=NOW).intent == "reschedule"


# --- "一点" as "a little" ------------------------------------------------------------------------

def test_a_little_is_not_one_oclock() -> None:
    assert read_when("早一点", NOW) is None
    assert read_when("能不能晚一点儿来", NOW) is None
    one_pm = read_when("下午一点", NOW)
    assert one_pm is not None and one_pm.start.hour == 13
    assert read_when("一点钟来", NOW) is not None


def test_strip_time_keeps_the_request() -> None:
    assert strip_time("明天下午能来吗").strip() == "能来吗"
    assert strip_time("改到下周一上午").strip() == "改到"


def test_brand_answer_with_shi_is_a_brand_but_a_plain_yes_is_not() -> None:
    p = parse("是雅洁牌的", expecting="brand", now=NOW)
    assert (p.brand, p.brand_supported) == ("雅洁", False)
    for yes in ("可以", "是的", "好的好的"):
        p = parse(yes, expecting="brand", now=NOW)
        assert (p.intent, p.brand) == ("affirm", None)


# --- found by a probe of fresh messages ----------------------------------------------------------

@pytest.mark.parametrize(("text", "fault"), [("面板被小孩砸裂了", "panel_damage"), ("人脸识别一直失败", "fingerprint_fail")])
def test_a_fault_said_alone_is_a_fault_report(text: str, fault: str) -> None:
    p = parse(text, now=NOW)
    assert (p.intent, p.fault) == ("report_fault", fault)


@pytest.mark.parametrize(("text", "phone"), [("电话：021-58881234", "02158881234"), ("手机:13812345678", "13812345678")])
def test_a_phone_after_a_colon_label_is_read(text: str, phone: str) -> None:
    p = parse(text, now=NOW)
    assert (p.phone, p.phone_invalid) == (phone, False)


def test_a_clock_time_with_a_colon_is_still_not_a_phone() -> None:
    assert parse("明天10:30来", now=NOW).phone is None


@pytest.mark.parametrize("text", ["昨天晚上门锁一直在响", "前天下午保险柜就打不开了", "昨晚开始报警"])
def test_a_past_day_tells_what_happened_not_when_to_come(text: str) -> None:
    assert parse(text, now=NOW).when is None


@pytest.mark.parametrize("text", ["有没有便宜一点的", "能便宜点不"])
def test_asking_for_a_lower_price_is_ask_price(text: str) -> None:
    p = parse(text, now=NOW)
    assert p.intent == "ask_price"
    assert p.when is None


@pytest.mark.parametrize(("text", "expecting"), [("不知道", "brand"), ("不清楚", "brand"), ("不知道", "place")])
def test_an_answer_to_another_question_guesses_no_fault(text: str, expecting: str) -> None:
    assert parse(text, expecting=expecting, now=NOW).fault is None


def test_a_vague_complaint_about_the_device_is_other_not_a_specific_fault() -> None:
    assert parse("就是用不了", expecting="fault", now=NOW).fault == "other"
    assert parse("保险柜突然不能用了", now=NOW).fault == "other"
    assert parse("指纹用不了了", now=NOW).fault == "fingerprint_fail"  # the specific phrase still wins


@pytest.mark.parametrize("text", ["好的就这个时间", "这个时间没问题", "那好吧"])
def test_accepting_a_time_is_affirm(text: str) -> None:
    assert parse(text, expecting="confirm", now=NOW).intent == "affirm"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("我想装一把旗电佳的指纹锁，地址是郑州市金水区花园路88号", "install"),
        ("保险柜打不开了，我家在武侯区人民南路3号院5栋2单元301室", "cannot_open"),
        ("门锁没电了 住址：洪山区珞喻路1037号", "no_power"),
    ],
)
def test_a_street_address_is_not_intent_evidence(text: str, fault: str) -> None:
    p = parse(text, now=NOW)
    assert p.intent == "report_fault"
    assert p.fault == fault


def test_an_address_alone_is_not_a_goodbye() -> None:
    assert parse("地址是郑州市金水区花园路88号", now=NOW).intent not in ("goodbye", "ask_price")
