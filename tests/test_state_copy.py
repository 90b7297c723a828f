"""The conversation state's own deep copy (a turn's working copy and what is stored)."""

from __future__ import annotations

import dataclasses

from dialogs.state import ConversationState, copy_json


def _busy_state() -> ConversationState:
    return ConversationState(
        stage="offering", brand="丹斯提尼", place={"adcode": "410825", "province": "河南省", "county": "温县"},
        choices=[{"kind": "offer", "value": "1", "label": "明天上午", "data": {"ref": "t1", "start": "x"}}],
        offers=[{"ref": "t1", "eta": [1, 2]}], asked=["fault"], previous={"phone": "13812345678"},
    )


def test_to_json_matches_asdict_and_shares_nothing() -> None:
    state = _busy_state()
    stored = state.to_json()
    assert stored == dataclasses.asdict(state)
    stored["choices"][0]["data"]["ref"] = "changed"
    stored["asked"].append("place")
    assert state.choices[0]["data"]["ref"] == "t1"
    assert state.asked == ["fault"]


def test_copy_is_equal_and_independent() -> None:
    state = _busy_state()
    twin = state.copy()
    assert twin == state and twin is not state
    twin.place["county"] = "孟州市"
    twin.offers[0]["eta"].append(3)
    assert state.place["county"] == "温县"
    assert state.offers[0]["eta"] == [1, 2]


def test_copy_json_keeps_tuples_and_copies_other_objects() -> None:
    class Box:
        def __init__(self, items: list[int]) -> None:
            self.items = items

    box = Box([1])
    copied = copy_json({"pair": (1, [2]), "box": box})
    assert copied["pair"] == (1, [2]) and isinstance(copied["pair"], tuple)
    assert copied["box"] is not box and copied["box"].items == [1]
    copied["box"].items.append(2)
    assert box.items == [1]
