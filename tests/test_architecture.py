"""The dependency direction (README, Layout) holds: import-linter's contracts in pyproject.toml."""

import sys
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_apps_import_only_the_layers_below_them(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, "path", [str(ROOT), *sys.path])
    code = lint_imports(no_cache=True)
    assert code == 0, capsys.readouterr().out
