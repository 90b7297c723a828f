"""Photo evidence settings (config.yml ``evidence``), checked when first read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import data_dir

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class EvidenceSettingsError(ValueError):
    """An ``evidence`` key in config.yml has the wrong shape."""


@dataclass(frozen=True, slots=True)
class EvidenceSettings:
    """Limits and thresholds for photos; see config.yml ``evidence``."""

    directory: str = "evidence"
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
    near_duplicate_distance: int = 6

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> EvidenceSettings:
        """Read ``evidence``; raise :class:`EvidenceSettingsError` naming the key that is wrong."""
        section = config.get("evidence") or {}
        if not isinstance(section, dict):
            raise EvidenceSettingsError("evidence: expected a mapping")
        d = cls()
        values: dict[str, Any] = {}
        for key in ("max_bytes", "max_pixels", "near_duplicate_distance"):
            value = section.get(key, getattr(d, key))
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise EvidenceSettingsError(f"evidence.{key}: expected a whole number ≥ 0, got {value!r}")
            values[key] = value
        formats = section.get("formats", list(d.formats))
        if not isinstance(formats, list) or not formats or any(str(f).upper() not in FORMATS for f in formats):
            raise EvidenceSettingsError(f"evidence.formats: expected a list from {sorted(FORMATS)}, got {formats!r}")
        directory = str(section.get("directory", d.directory))
        if not directory or Path(directory).is_absolute() or ".." in Path(directory).parts:
            raise EvidenceSettingsError(f"evidence.directory: expected a folder name under the data directory, "
                                        f"got {directory!r}")
        return cls(directory=directory, formats=tuple(str(f).upper() for f in formats), **values)

    @property
    def root(self) -> Path:
        """Where photo files live (under ``REPAIRBOT_DATA``/./data)."""
        return data_dir() / self.directory

    @property
    def max_megabytes(self) -> int:
        """The size limit as customers read it."""
        return max(1, self.max_bytes // (1024 * 1024))
