"""Dialect, English and pinyin are read as the Mandarin every extractor knows; a denied cause does not count."""

from __future__ import annotations

import pytest

from nlu import parse


@pytest.mark.parametrize(
    ("text", "product", "fault"),
    [
        ("个密码锁冇晒电，乜都按唔到", "lock", "no_power"),  # Cantonese
        ("屋企道门锁开唔到", "lock", "cannot_open"),
        ("夹万嘅锁匙唔见咗", "safe", "lost_key"),
        ("门锁成日自己响", "lock", "alarm"),
        ("保险箱密码整忘了，咋整", "safe", "forgot_password"),  # northern
        ("指纹锁没电儿了", "lock", "no_power"),
        ("屋头的密码锁没得反应了", "lock", "no_power"),  # south-western
        ("保险柜钥匙搞掉了", "safe", "lost_key"),
        ("嗯那个，就是说，我们的智能锁，呃，把手掉了", "lock", "mechanical"),  # voice-typing fillers
    ],
)
def test_dialect_and_fillers(text: str, product: str, fault: str) -> None:
    p = parse(text)
    assert (p.product, p.fault, p.intent) == (product, fault, "report_fault")


def test_a_lone_filler_word_is_still_a_yes() -> None:
    assert parse("嗯嗯").intent == "affirm"


@pytest.mark.parametrize(
    ("text", "product", "fault"),
    [
        ("our safe will not open", "safe", "cannot_open"),
        ("I can't remember the code of my safe", "safe", "forgot_password"),
        ("the smart lock battery died", "lock", "no_power"),
        ("fingerprint sensor on the lock is not working", "lock", "fingerprint_fail"),
        ("my door lock keeps beeping at night", "lock", "alarm"),
        ("entered the wrong password too many times and the safe locked", "safe", "locked_out"),
        ("the keypad of my lock is cracked", "lock", "panel_damage"),
        ("lost the keys of the safe", "safe", "lost_key"),
        ("the handle of the door lock came off", "lock", "mechanical"),
        ("please install a smart lock for me", "lock", "install"),
        ("how to delete fingerprints on my lock", "lock", "reset"),
        ("保险柜 battery low 了", "safe", "no_power"),  # mixed
        ("my 门锁 doesn't open", "lock", "cannot_open"),
    ],
)
def test_english(text: str, product: str, fault: str) -> None:
    p = parse(text)
    assert (p.product, p.fault, p.intent) == (product, fault, "report_fault")


@pytest.mark.parametrize(
    ("text", "intent"),
    [("how much does it cost to open a safe", "ask_price"), ("I want to talk to a human", "ask_human"),
     ("thanks", "thanks"), ("hello", "greet")],
)
def test_english_intents(text: str, intent: str) -> None:
    assert parse(text).intent == intent


@pytest.mark.parametrize(
    ("text", "product", "fault"),
    [
        ("mi ma suo dian chi mei dian le", "lock", "no_power"),
        ("baoxianxiang mima wangle", "safe", "forgot_password"),
        ("zhiwensuo yizhi xiang", "lock", "alarm"),
        ("men suo kai bu le", "lock", "cannot_open"),
    ],
)
def test_pinyin_sentences(text: str, product: str, fault: str) -> None:
    p = parse(text)
    assert (p.product, p.fault) == (product, fault)


@pytest.mark.parametrize(
    ("text", "brand"),
    [("Dansitni safe broken", "丹斯提尼"), ("qidianjia fingerprint lock", "旗电佳"), ("dan si ti ni bao xian gui", "丹斯提尼")],
)
def test_romanised_brands(text: str, brand: str) -> None:
    assert parse(text).brand == brand


@pytest.mark.parametrize("text", ["what a lovely day", "delivery at noon", "ok", "no"])
def test_english_without_a_repair_is_none_of_it(text: str) -> None:
    p = parse(text)
    assert (p.brand, p.product, p.fault) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("不是忘记密码了，是指纹锁不认指纹", "fingerprint_fail"),
        ("钥匙都在，保险柜就是没电了", "no_power"),
        ("门锁没有报警，就是锁芯转不动", "mechanical"),
        ("也不是没电，保险柜面板摔裂了", "panel_damage"),
        ("密码没忘，钥匙也没丢，保险柜就是打不开", "cannot_open"),
        ("我还以为是被锁定了，其实是智能锁没电", "no_power"),
        ("指纹识别没问题，门关不严", "mechanical"),
        ("保险柜不是打不开，是想换个密码", "reset"),
    ],
)
def test_the_asserted_cause_wins_over_the_denied_one(text: str, fault: str) -> None:
    assert parse(text).fault == fault


def test_a_question_is_no_denial() -> None:
    assert parse("门锁是不是没电了").fault == "no_power"


def test_only_a_denied_cause_names_no_fault() -> None:
    assert parse("保险柜不是没电").fault in (None, "other")


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("门锁屏幕提示请更换电池", "no_power"),
        ("保险柜显示电压低", "no_power"),
        ("指纹锁报E7", "other"),
        ("密码锁一直显示ERR", "other"),
        ("门锁提示请5分钟后再试", "locked_out"),
        ("保险箱显示已冻结", "locked_out"),
        ("门锁语音提示门未关好", "mechanical"),
    ],
)
def test_what_the_panel_shows(text: str, fault: str) -> None:
    assert parse(text).fault == fault


@pytest.mark.parametrize(
    "text",
    ["把门锁的指纹全清了", "给保险柜添加一个管理员", "门锁要录一下家里老人的指纹", "指纹锁能不能设成只用密码开",
     "保险箱怎么恢复出厂", "门锁里前租客的卡要删掉", "保险柜初始化"],
)
def test_enrolment_and_resets(text: str) -> None:
    assert parse(text).fault == "reset"


def test_enrolment_that_fails_is_a_fingerprint_failure() -> None:
    assert parse("门锁新加的指纹录不进去").fault == "fingerprint_fail"


@pytest.mark.parametrize(
    ("text", "fault"),
    [("新装的指纹锁打不开", "cannot_open"), ("门锁要装一把新的", "install"), ("想找人上门安装保险柜", "install")],
)
def test_installing_is_asked_for_not_a_lock_that_was_installed(text: str, fault: str) -> None:
    assert parse(text).fault == fault


@pytest.mark.parametrize(
    "text",
    [
        "a" * 100_000,  # one latin word far longer than any message
        "zhi wen suo " * 5_000,  # pinyin that never ends
        "the safe won't open " * 3_000,
        "唔冇咗嘅" * 10_000,
        "😀🔒🔑" * 2_000,
        "\x00\x07\x1b[31m门锁\u202e没电\ufeff",
        "\ud800保险柜打不开",
        "地址是" * 3_000,
        "急" * 5_000,
        "不是" * 5_000 + "没电",
    ],
)
def test_parse_never_fails_on_odd_or_huge_text(text: str) -> None:
    p = parse(text)
    assert p.text == text
    assert isinstance(p.urgent, bool) and (p.address is None or len(p.address) <= 80)


@pytest.mark.parametrize(
    ("text", "city", "county"),
    [
        ("my safe in Jiaozuo Wenxian won't open", "焦作市", "温县"),  # 温县, not its homophone 文县 in 陇南
        ("wo zai xiamen haicang, men suo huai le", "厦门市", "海沧区"),
        ("the lock at our Shanghai Pudong office is broken", "上海市", "浦东新区"),
        ("Wen Xian, Jiao Zuo", "焦作市", "温县"),
    ],
)
def test_places_typed_in_pinyin(text: str, city: str, county: str) -> None:
    p = parse(text)
    assert p.place is not None and (p.place.city, p.place.county) == (city, county)


@pytest.mark.parametrize("text", ["women like this lock", "change the code", "china", "the safe is broken"])
def test_english_words_are_no_pinyin_place(text: str) -> None:
    assert parse(text).place is None


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("刚搬到新房子，门锁打不开", "cannot_open"),  # the customer moved, not the lock
        ("保险柜要搬到楼上", "install"),
        ("跟钥匙没关系，门锁的密码被人改了", "forgot_password"),  # changed by someone else: not a reset
        ("想给孩子开通指纹开门", "reset"),
    ],
)
def test_state_or_request(text: str, fault: str) -> None:
    assert parse(text).fault == fault


@pytest.mark.parametrize(
    ("text", "product", "fault"),
    [("揾唔到夹万锁匙", "safe", "lost_key"), ("保险箱没得钥匙了", "safe", "lost_key"), ("密码锁遭锁了", "lock", "locked_out")],
)
def test_more_dialect_words(text: str, product: str, fault: str) -> None:
    p = parse(text)
    assert (p.product, p.fault) == (product, fault)


def test_cantonese_locative_reads_the_place() -> None:
    p = parse("我喺佛山南海，门锁冇反应")
    assert p.place is not None and p.place.county == "南海区" and p.fault == "no_power"


@pytest.mark.parametrize(
    ("text", "fault", "urgent"),
    [
        ("lost the emergency key for my safe", "lost_key", False),  # 应急钥匙, not an emergency
        ("the lock is dead, cannot get in", "no_power", True),  # shut out
        ("my front door lock won't open with my fingerprint", "fingerprint_fail", False),
        ("My safe's digital display went blank", "no_power", False),
    ],
)
def test_english_phrases_written_together_come_first(text: str, fault: str, urgent: bool) -> None:
    p = parse(text)
    assert (p.fault, p.urgent) == (fault, urgent)


NOW = __import__("datetime").datetime.fromisoformat("2026-11-23T10:00:00+08:00")  # a Monday


@pytest.mark.parametrize(
    ("text", "start", "asap"),
    [
        ("can you come tomorrow afternoon", "2026-11-24T12:00:00+08:00", False),
        ("saturday morning is fine", "2026-11-28T09:00:00+08:00", False),
        ("please fix my lock asap", None, True),
    ],
)
def test_english_times(text: str, start: str | None, asap: bool) -> None:
    p = parse(text, now=NOW)
    assert p.when is not None and p.when.asap is asap
    assert (p.when.start.isoformat() if p.when.start else None) == start
    assert p.intent == "report_fault"


def test_it_can_wait_is_no_refusal() -> None:
    p = parse("不急，周二晚上来就行", now=NOW)
    assert (p.intent, p.urgent) == ("report_fault", False) and p.when is not None


def test_a_place_heard_across_a_longer_phrase_in_pinyin_is_no_place() -> None:
    """"wo de baoxiangui": de-bao-xian is 德保县 by sound, but bao-xian-gui is the safe being reported."""
    p = parse("wo de baoxiangui da bu kai le")
    assert p.place is None and p.product == "safe" and p.fault == "cannot_open"
