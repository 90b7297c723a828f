"""The digest's chart as a PNG (Pillow), for chat apps that show pictures but not SVG.

Labels are drawn with a CJK font when the machine has one (Noto Sans CJK, WenQuanYi, Droid Sans
Fallback); without one the chart keeps to digits and Latin letters, which Pillow's built-in font
draws, and the Chinese words stay in the message text that goes with it.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
_BG, _BAR, _TEXT, _AXIS = (255, 255, 255), (46, 110, 180), (40, 40, 40), (160, 160, 160)


@cache
def _font(size: int) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, bool]:
    """A font of ``size`` and whether it draws Chinese."""
    for path in _CJK_FONTS:
        if Path(path).exists():
            try:
                return ImageFont.truetype(path, size), True
            except OSError:
                continue
    return ImageFont.load_default(size=size), False


def bar_chart(items: list[tuple[str, float | None]], *, title: str, fallback_title: str, maximum: float,
              width: int = 640, height: int = 360) -> bytes:
    """Vertical bars with values on top; ``fallback_title`` is used when no CJK font is available."""
    font, cjk = _font(16)
    small, _ = _font(13)
    image = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(image)
    draw.text((16, 12), title if cjk else fallback_title, fill=_TEXT, font=font)
    top, bottom, left, right = 56, 40, 24, 16
    base = height - bottom
    draw.line((left, base, width - right, base), fill=_AXIS, width=1)
    slot = (width - left - right) / max(1, len(items))
    bar = max(6.0, slot * 0.6)
    for i, (label, value) in enumerate(items):
        x = left + i * slot + (slot - bar) / 2
        h = 0 if value is None else (base - top) * min(value, maximum) / maximum
        if h:
            draw.rectangle((x, base - h, x + bar, base), fill=_BAR)
        text = "-" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")
        draw.text((x + bar / 2, base - h - 4), text, fill=_TEXT, font=small, anchor="md")
        draw.text((x + bar / 2, base + 6), label, fill=_TEXT, font=small, anchor="ma")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
