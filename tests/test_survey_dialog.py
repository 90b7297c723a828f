"""The survey, maintenance and subscription policies with plain values: no database, no NLU model.

Parses are hand-made (as the NLU would give them); services are the fakes of tests/test_dialogs.py.
"""

from __future__ import annotations

import pytest
from test_dialogs import NOW, WEN, FakeServices

import dialogs
from dialogs import ConversationState, DetachTicket, Escalate, RecordSurveyAnswer, SetSubscription
from dialogs.proactive import maintenance, offer_maintenance, open_survey, score_buttons, survey
from dialogs.state import BOOKED, ESCALATED
from nlu.feedback import read_resolved, read_score, says_nothing_more
from nlu.types import Parse


def surveyed(step: str = "csat") -> ConversationState:
    state = open_survey(ConversationState(stage=BOOKED, ticket_id=7, brand="丹斯提尼", product="safe"), 7, NOW)
    return ConversationState.from_json({**state.to_json(), "survey": {**state.survey, "step": step}})


def turn(state: ConversationState, text: str, intent: str = "out_of_scope", **facts) -> dialogs.Step:
    return dialogs.step(state, Parse(text=text, intent=intent, **facts), FakeServices(), NOW)


def test_the_survey_has_five_buttons_valued_one_to_five() -> None:
    assert [b.value for b in survey().buttons] == ["1", "2", "3", "4", "5"]
    assert all(b.label.startswith(b.value) for b in score_buttons())
    assert survey(nudge=True).text != survey().text


@pytest.mark.parametrize(("said", "score"), [
    ("5", 5), ("4", 4), ("五星", 5), ("5分", 5), ("给3分", 3), ("★★★★", 4), ("非常满意", 5), ("挺好的", 4),
    ("一般般吧", 3), ("不太满意", 2), ("不满意", 2), ("很差", 1), ("垃圾服务", 1), ("4 stars", 4),
])
def test_scores_from_buttons_and_words(said: str, score: int) -> None:
    assert read_score(said) == score


@pytest.mark.parametrize("said", ["15分钟就到了", "第5个", "明天下午", "你好", ""])
def test_no_score_is_invented(said: str) -> None:
    assert read_score(said) is None


@pytest.mark.parametrize(("said", "solved"), [
    ("解决了", True), ("修好了，谢谢", True), ("是", True), ("没解决", False), ("还是打不开", False),
    ("又坏了", False), ("没有", False), ("不是", False), ("你好", None),
])
def test_solved_or_not(said: str, solved: bool | None) -> None:
    assert read_resolved(said) is solved


def test_nothing_more_to_say() -> None:
    assert says_nothing_more("没有了") and says_nothing_more("不用了！") and not says_nothing_more("师傅很好")


def test_a_good_score_is_recorded_and_asks_whether_it_is_solved() -> None:
    step = turn(surveyed(), "5")
    assert RecordSurveyAnswer(7, "csat", score=5) in step.effects
    assert step.state.survey["step"] == "resolved" and step.state.expecting == "survey"
    assert [b.value for b in step.replies[-1].buttons] == ["解决了", "没解决"]


def test_solved_then_a_comment_closes_the_survey() -> None:
    step = turn(surveyed("resolved"), "解决了")
    assert RecordSurveyAnswer(7, "resolved", score=1) in step.effects and step.state.survey["step"] == "comment"
    step = turn(step.state, "师傅很专业")
    assert RecordSurveyAnswer(7, "comment", comment="师傅很专业") in step.effects
    assert step.state.survey is None and "感谢" in step.replies[-1].text


def test_nothing_more_records_no_comment() -> None:
    step = turn(surveyed("comment"), "没有", intent="deny")
    assert not [e for e in step.effects if isinstance(e, RecordSurveyAnswer)] and step.state.survey is None


@pytest.mark.parametrize(("state_step", "said", "reason"), [
    ("csat", "1", "survey_low_score"), ("csat", "2分", "survey_low_score"),
    ("csat", "还是打不开", "survey_unresolved"), ("resolved", "没解决", "survey_unresolved"),
])
def test_service_recovery_escalates_the_surveyed_ticket(state_step: str, said: str, reason: str) -> None:
    step = turn(surveyed(state_step), said)
    assert Escalate(reason, ticket_id=7) in step.effects
    assert step.state.stage == ESCALATED and step.state.survey["step"] == "comment"
    assert "抱歉" in step.replies[-1].text and "返修" in step.replies[-1].text


def test_a_message_that_is_not_an_answer_leaves_the_survey_open() -> None:
    step = turn(surveyed(), "师傅什么时候来的", intent="ask_progress")
    assert not [e for e in step.effects if isinstance(e, RecordSurveyAnswer)]
    assert step.state.survey is not None and step.state.survey["step"] == "csat"


def test_a_new_repair_in_reply_to_the_survey_is_not_a_comment() -> None:
    step = turn(surveyed("comment"), "丹斯提尼保险柜又打不开了，在温县", intent="report_fault", brand="丹斯提尼",
                brand_supported=True, product="safe", fault="cannot_open", place=WEN)
    assert not [e for e in step.effects if isinstance(e, RecordSurveyAnswer)]
    assert step.state.survey is None


@pytest.mark.parametrize(("said", "subscribed"), [("退订", False), ("TD", False), ("取消订阅", False), ("订阅", True)])
def test_subscription_commands(said: str, subscribed: bool) -> None:
    step = turn(ConversationState(), said)
    assert step.effects == [SetSubscription(subscribed)]


def test_unsubscribe_words_inside_a_sentence_are_not_a_command() -> None:
    step = turn(ConversationState(), "退订单怎么弄", intent="out_of_scope")
    assert not [e for e in step.effects if isinstance(e, SetSubscription)]


def test_the_maintenance_button_offers_windows_with_the_visited_facts() -> None:
    facts = {"ticket_id": 7, "brand": "丹斯提尼", "product": "safe", "place": WEN.to_json(), "phone": "13812345678",
             "address": "建设路12号4栋201"}
    state = offer_maintenance(ConversationState(stage=BOOKED, ticket_id=7), facts)
    step = turn(state, "预约保养检查")
    assert step.effects[0] == DetachTicket()
    assert step.state.brand == "丹斯提尼" and step.state.fault == "other" and step.state.phone == "13812345678"
    assert step.state.offers and step.replies[-1].buttons
    assert maintenance("lock", "智能锁", 6).buttons[0].value == "预约保养检查"


def test_declining_maintenance_is_acknowledged() -> None:
    facts = {"ticket_id": 7, "brand": "丹斯提尼", "product": "safe", "place": WEN.to_json(), "phone": None}
    step = turn(offer_maintenance(ConversationState(stage=BOOKED, ticket_id=7), facts), "不用了", intent="deny")
    assert step.state.maintenance is None and not step.state.offers and "随时" in step.replies[-1].text
