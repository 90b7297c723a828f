"""What the bot says, as values: a reply and its buttons.

They live in ``dialogs`` (the lowest layer that produces them) so that the policy never imports the
runtime; channel adapters in ``bot.channels`` turn them into inline keyboards, numbered choices or web
buttons.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Button:
    """A choice; pressing it sends ``value`` as the next message on every channel."""

    label: str
    value: str

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True, slots=True)
class Reply:
    """One bot message with optional buttons."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "buttons": [b.to_json() for b in self.buttons]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Reply:
        """The reverse of :meth:`to_json` (outbox payloads, stored history)."""
        buttons = data.get("buttons") or []
        assert isinstance(buttons, list)
        return cls(text=str(data.get("text") or ""),
                   buttons=tuple(Button(label=str(b["label"]), value=str(b["value"])) for b in buttons))
