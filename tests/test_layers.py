"""Import layers: regions ← nlu ← dialogs ← bot. A lower package never imports an upper one.

Every module of the four packages is read as an AST (imports inside functions and behind
``TYPE_CHECKING`` count too: a lazy upward import is still an upward dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("regions", "nlu", "dialogs", "bot")  # lowest first


def imported_packages(source: str, module: str) -> set[tuple[str, int]]:
    """``(top-level package, line)`` of every import in ``source`` (relative imports resolved against ``module``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from ..pkg import y: inside the module's own package tree
                base = module.split(".")[: -node.level] or module.split(".")[:1]
                found.add((base[0], node.lineno))
            elif node.module:
                found.add((node.module.split(".")[0], node.lineno))
    return found


def upward_imports(source: str, module: str) -> list[str]:
    """The imports of ``module`` that reach a layer above its own package, as readable strings."""
    own = LAYERS.index(module.split(".")[0])
    return [
        f"{module}:{line} imports {package}"
        for package, line in sorted(imported_packages(source, module))
        if package in LAYERS and LAYERS.index(package) > own
    ]


def _modules() -> list[tuple[str, Path]]:
    out = []
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out.append((".".join(p for p in parts if p != "__init__"), path))
    return out


def test_every_package_is_scanned() -> None:
    scanned = {name.split(".")[0] for name, _ in _modules()}
    assert scanned == set(LAYERS)
    assert len(_modules()) > 40


@pytest.mark.parametrize("package", LAYERS[:-1])
def test_no_lower_package_imports_an_upper_one(package: str) -> None:
    violations = [
        v
        for name, path in _modules()
        if name.split(".")[0] == package
        for v in upward_imports(path.read_text(encoding="utf-8"), name)
    ]
    assert violations == []


@pytest.mark.parametrize(
    ("source", "module", "bad"),
    [
        ("from bot.config import load_config\n", "nlu.brands", True),
        ("def f():\n    import dialogs.texts\n", "regions.finder", True),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.messages import Reply\n", "dialogs.turn", True),
        ("from nlu.types import Parse\nfrom regions.place import Place\n", "dialogs.turn", False),
        ("from . import finder\nfrom .place import Place\n", "regions.coverage", False),
        ("import nlu.defaults\n", "bot", False),
    ],
)
def test_the_scanner_sees_upward_imports_wherever_they_are(source: str, module: str, bad: bool) -> None:
    assert bool(upward_imports(source, module)) is bad
