"""Build step that pyproject.toml cannot say: the default config.yml goes into the wheel.

config.yml stays at the repository root (the file operators and README refer to, and the one every
branch edits); the build copies it to ``bot/default_config.yml`` inside the package, which is what an
installed ``repairbot`` reads when ``REPAIRBOT_CONFIG`` is unset (see ``bot.config.config_path``).
One source file, no copy in the repository that could drift. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithDefaultConfig(build_py):
    """``build_py`` plus the repository's config.yml as the package's default configuration."""

    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "bot" / "default_config.yml"
        self.mkpath(str(target.parent))
        self.copy_file(str(ROOT / "config.yml"), str(target))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / "bot" / "default_config.yml")]


setup(cmdclass={"build_py": BuildWithDefaultConfig})
