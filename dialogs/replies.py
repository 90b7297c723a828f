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
    """One bot message with optional buttons, and optionally an image (a chart in a manager's digest).

    ``image`` is a file path under the data directory; channels that can show pictures send it with the
    text as caption, the others send the text alone. It is omitted from the JSON when absent, so the web
    chat contract keeps its ``{"text", "buttons"}`` shape.
    """

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    image: str | None = None

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"text": self.text, "buttons": [b.to_json() for b in self.buttons]}
        if self.image:
            data["image"] = self.image
        return data

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Reply:
        """The reverse of :meth:`to_json` (outbox payloads, stored history)."""
        buttons = data.get("buttons") or []
        assert isinstance(buttons, list)
        image = data.get("image")
        return cls(text=str(data.get("text") or ""),
                   buttons=tuple(Button(label=str(b["label"]), value=str(b["value"])) for b in buttons),
                   image=str(image) if image else None)
