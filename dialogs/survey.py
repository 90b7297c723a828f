"""The satisfaction survey after a visit (用户反馈循环): score, "solved?", an optional comment.

Answers come as ordinary messages: a pressed button ("1"…"5", 解决了/没解决) or words ("五星",
"很满意", "一般", "还是打不开"). While a survey is open (``state.survey``), a message that answers the
current question is recorded; anything else (a new fault, a question) goes on to the normal
conversation and the survey stays open, so a late answer is still recorded. A score of 2 or less, or
"not solved", is service recovery: the survey's ticket is escalated at once with an apology and the
promise of a free return visit, and the comment step asks what went wrong.
"""

from __future__ import annotations

from dialogs.effects import RecordSurveyAnswer
from dialogs.handoff import escalate
from dialogs.state import ESCALATED
from dialogs.texts import say
from dialogs.turn import Turn
from nlu.feedback import read_resolved, read_score, says_nothing_more

#: Scores at or below this escalate the ticket (service recovery).
RECOVERY_AT_OR_BELOW = 2


def answer(turn: Turn) -> bool:
    """Handle ``turn`` as a survey answer if it is one; False leaves it to the rest of the policy."""
    survey = turn.s.survey
    if not survey:
        return False
    step = survey.get("step")
    if step == "csat":
        return _csat(turn, int(survey["ticket_id"]))
    if step == "resolved":
        return _resolved(turn, int(survey["ticket_id"]))
    if step == "comment":
        return _comment(turn, int(survey["ticket_id"]))
    turn.s.survey = None
    return False


def _csat(turn: Turn, ticket_id: int) -> bool:
    text = turn.parse.text
    score = read_score(text)
    if score is None:
        if read_resolved(text) is False and not _new_request(turn):
            # "还是打不开" in answer to the score: not solved, which says more than a number would.
            turn.effect(RecordSurveyAnswer(ticket_id, "resolved", score=0))
            _recover(turn, ticket_id, "survey_unresolved", "survey.recovery_unresolved")
            return True
        return False
    turn.effect(RecordSurveyAnswer(ticket_id, "csat", score=score))
    if score <= RECOVERY_AT_OR_BELOW:
        _recover(turn, ticket_id, "survey_low_score", "survey.recovery_low_score")
        return True
    _set_step(turn, "resolved")
    yes, no = say("survey.resolved_button"), say("survey.unresolved_button")
    turn.say(say("survey.ask_resolved"), [("survey_yes", yes, yes, None), ("survey_no", no, no, None)])
    turn.s.expecting = "survey"
    return True


def _resolved(turn: Turn, ticket_id: int) -> bool:
    solved = read_resolved(turn.parse.text)
    if solved is None:
        return False
    turn.effect(RecordSurveyAnswer(ticket_id, "resolved", score=1 if solved else 0))
    if not solved:
        _recover(turn, ticket_id, "survey_unresolved", "survey.recovery_unresolved")
        return True
    _set_step(turn, "comment")
    turn.ask("survey", say("survey.ask_comment"))
    return True


def _comment(turn: Turn, ticket_id: int) -> bool:
    text = turn.parse.text.strip()
    if _new_request(turn):
        turn.s.survey = None  # they moved on to a new repair: the normal intake takes it from here
        return False
    turn.s.survey = None
    if not text or says_nothing_more(text):
        turn.say(say("survey.thanks"))
        return True
    turn.effect(RecordSurveyAnswer(ticket_id, "comment", comment=text))
    turn.say(say("survey.thanks_comment"))
    return True


def _recover(turn: Turn, ticket_id: int, reason: str, text_key: str) -> None:
    """Service recovery: apologise, escalate the survey's ticket, ask what went wrong."""
    if turn.s.stage == ESCALATED and turn.s.escalation_reason == reason:
        turn.say(say(text_key))
    else:
        escalate(turn, reason, text=say(text_key), ticket_id=ticket_id)
    _set_step(turn, "comment")
    turn.s.expecting = "survey"


def _set_step(turn: Turn, step: str) -> None:
    turn.s.survey = {**(turn.s.survey or {}), "step": step}


def _new_request(turn: Turn) -> bool:
    """A new repair told in reply to the survey ("保险柜又打不开了，在温县"): a new ticket, not a comment."""
    p = turn.parse
    return p.intent in ("report_fault", "ask_human", "complaint") and bool(p.fault or p.place or p.brand) and (
        p.place is not None or p.brand is not None or p.phone is not None)
