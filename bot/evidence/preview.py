"""Thumbnails of stored photos, made when the console asks (pure: bytes in, JPEG bytes out).

Made on the fly rather than stored: a second file per photo would be more personal data to encrypt,
erase and purge, and a console lists a handful of photos at a time. The thumbnail is re-encoded, so it
carries none of the original's metadata (camera, place, time); the full photo stays as the customer sent it.
"""

from __future__ import annotations

import io

THUMBNAIL_SIDE = 320


def thumbnail(data: bytes, max_side: int = THUMBNAIL_SIDE) -> bytes:
    """A JPEG at most ``max_side`` pixels wide and high, upright as the camera meant, transparency on white.

    ``data`` is a photo ``bot.evidence`` already accepted (decoded whole and within the pixel limit).
    """
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        opened.draft("RGB", (max_side * 2, max_side * 2))  # a JPEG decodes at a reduced scale: far less work
        image = ImageOps.exif_transpose(opened)
        image.thumbnail((max_side, max_side))
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        elif image.mode != "RGB":
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82)
        return out.getvalue()
