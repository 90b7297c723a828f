"""``Parse.urgent`` (in the parse JSON) and ``Parse.safety`` (internal: the bot tells the customer to call 110/119)."""

from __future__ import annotations

import pytest

from nlu import parse


@pytest.mark.parametrize(
    "text",
    [
        "门锁没电了，人在门外进不去，急",  # the contract's example
        "指纹锁打不开，我回不了家",
        "钥匙落在家里了，门自己锁上了",
        "被关在门外了，密码锁没反应",
        "保险柜打不开，马上要用里面的合同",
        "门锁坏了，越快越好",
        "急！密码锁没电",
        "现在就要人过来开锁",
        "I'm locked out of my house, the smart lock is dead",
        "safe won't open, need someone right away",
    ],
)
def test_urgent(text: str) -> None:
    assert parse(text).urgent is True


@pytest.mark.parametrize(
    "text",
    [
        "保险柜打不开，不急，周末来就行",
        "门锁指纹不灵，不着急",
        "应急钥匙也找不到了",  # 应急 is "emergency" as in the spare key, not a request
        "医院急诊科的保险柜密码忘了",
        "我性子急，密码输错了几次，被锁定了",
        "门锁没电了，明天下午来",
        "你好",
        "no rush, please change the code of my safe",
    ],
)
def test_not_urgent(text: str) -> None:
    assert parse(text).urgent is False


@pytest.mark.parametrize(
    "text",
    [
        "孩子把自己锁在卧室里出不来",
        "老人在家里打不开门，门锁坏了",
        "我女儿被反锁在卫生间了",
        "宝宝被关在车里了",
        "my child is locked in the bathroom",
    ],
)
def test_a_person_shut_in(text: str) -> None:
    p = parse(text)
    assert (p.safety, p.urgent) == ("person_shut_in", True)


@pytest.mark.parametrize("text", ["门锁冒烟了", "保险柜那里有烧焦的味道", "家里着火了，门锁打不开", "there's smoke coming from the lock"])
def test_smoke_or_fire(text: str) -> None:
    p = parse(text)
    assert (p.safety, p.urgent) == ("fire", True)


@pytest.mark.parametrize(
    "text",
    [
        "家里有老人在，直接过去就行",  # a person at home, not stuck
        "孩子在家，门锁没电了",
        "保险柜打不开，我在屋里等",  # a safe shuts nobody in
        "人在门外进不去",  # shut out is urgent, but nobody is shut in
    ],
)
def test_no_safety_alarm_without_one(text: str) -> None:
    assert parse(text).safety is None


@pytest.mark.parametrize(("text", "safety"), [("家里老人反锁了门，叫不应", "person_shut_in"), ("快点快点，门开不了", None),
                                              ("快点派人来修门锁", None)])
def test_more_ways_of_saying_it_is_urgent(text: str, safety: str | None) -> None:
    p = parse(text)
    assert p.urgent is True and p.safety == safety


def test_quick_repair_that_can_wait_is_not_urgent() -> None:
    assert parse("快点修好就行，不急").urgent is False


@pytest.mark.parametrize("text", ["锁没反应，我在楼道站了二十分钟了", "指纹锁失灵，一家人门口等了好久", "等在门外呢，锁打不开"])
def test_waiting_at_the_door_is_urgent(text: str) -> None:
    assert parse(text).urgent is True
