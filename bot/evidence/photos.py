"""Is it a photo, and what does it say about itself? Pure: bytes in, facts out (no files, no database).

Pillow decodes the whole image (a renamed PDF or a truncated upload fails here), the pixel count is
checked before decoding (a tiny file can declare a gigapixel canvas), and the metadata is read for
two soft signals: no camera information at all, or an editor / image generator named in it.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from bot.evidence.settings import FORMATS, EvidenceSettings

# EXIF tags (TIFF numbering): Make, Model, Software, ProcessingSoftware, and the Exif sub-IFD pointer.
_MAKE, _MODEL, _SOFTWARE, _PROCESSING_SOFTWARE, _EXIF_IFD = 0x010F, 0x0110, 0x0131, 0x000B, 0x8769
_DATETIME_ORIGINAL, _LENS_MODEL = 0x9003, 0xA434
# Tools whose name in a photo's metadata means it was made or reworked by software, not just taken.
_TOOLS = re.compile(
    r"photoshop|lightroom|gimp|snapseed|picsart|canva|pixelmator|affinity|facetune|meitu|美图|醒图|"
    r"stable[ -]?diffusion|automatic1111|comfyui|novelai|midjourney|dall[·\- ]?e|firefly|imagen|"
    r"made with ai|ai[- ]generated|trainedalgorithmicmedia|c2pa",
    re.IGNORECASE,
)
# PNG text chunks written by image generators (AUTOMATIC1111 "parameters", ComfyUI "prompt"/"workflow").
_GENERATOR_CHUNKS = ("parameters", "prompt", "workflow", "sd-metadata", "invokeai_metadata")


class PhotoRejected(Exception):
    """Not a photo we keep; ``code`` is one of too_large, not_image, unsupported_format, too_many_pixels."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Inspected:
    """What a valid photo is: type, size, fingerprints and metadata flags (soft ones only)."""

    media_type: str
    width: int
    height: int
    sha256: str
    phash: str
    flags: list[dict[str, Any]] = field(default_factory=list)


def inspect_photo(data: bytes, settings: EvidenceSettings) -> Inspected:
    """Decode ``data`` and fingerprint it; raise :class:`PhotoRejected` for anything but a photo we keep."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > settings.max_bytes:
        raise PhotoRejected("too_large", f"{len(data)} bytes")
    if not data:
        raise PhotoRejected("not_image", "empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = (probe.format or "").upper()
            if fmt not in FORMATS:
                raise PhotoRejected("unsupported_format", fmt or "unknown")
            if fmt not in settings.formats:
                raise PhotoRejected("unsupported_format", fmt)
            width, height = probe.size
            if width * height > settings.max_pixels:
                raise PhotoRejected("too_many_pixels", f"{width}x{height}")
            probe.verify()  # structure and checksums; the object is unusable afterwards
            image = Image.open(io.BytesIO(data))
            image.load()  # every pixel: a truncated file fails here
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoRejected("not_image", type(exc).__name__) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's ways of saying "broken file"
        raise PhotoRejected("not_image", type(exc).__name__) from exc
    import imagehash

    return Inspected(
        media_type=FORMATS[fmt], width=width, height=height, sha256=hashlib.sha256(data).hexdigest(),
        phash=str(imagehash.phash(image)), flags=metadata_flags(image),
    )


def metadata_flags(image: Any) -> list[dict[str, Any]]:
    """Soft flags from the metadata: an editor or generator named in it, or no camera information at all."""
    exif = image.getexif()
    texts: list[str] = [str(exif.get(tag, "")) for tag in (_SOFTWARE, _PROCESSING_SOFTWARE)]
    info = image.info or {}
    for key, value in info.items():
        if key in _GENERATOR_CHUNKS:
            texts.append(f"{key} {value}" if key != "parameters" else "stable diffusion")
        elif key in ("Software", "software", "Comment", "comment", "Description", "xmp", "XML:com.adobe.xmp"):
            texts.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
    flags: list[dict[str, Any]] = []
    for text in texts:
        found = _TOOLS.search(text)
        if found:
            tool = found.group(0)
            flags.append({"code": "editor_or_generator", "tool": tool,
                          "text": f"图片信息里写着由“{tool}”生成或处理过（仅供参考，需人工判断）"})
            break
    camera = exif.get(_MAKE) or exif.get(_MODEL)
    if not camera:
        sub = exif.get_ifd(_EXIF_IFD) if _EXIF_IFD in exif else {}
        camera = sub.get(_LENS_MODEL) or sub.get(_DATETIME_ORIGINAL)
    if not camera:
        flags.append({"code": "no_camera_metadata",
                      "text": "图片没有相机拍摄信息（截图、转存或被聊天软件压缩过的图片也会这样，仅供参考）"})
    return flags
