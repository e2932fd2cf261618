"""The gate engine stays pure as it grows: no ORM, no settings, no clock."""

import ast
from pathlib import Path

import pytest

import gates.engine

ENGINE_DIR = Path(gates.engine.__file__).parent
MODULES = sorted(ENGINE_DIR.glob("*.py"))
ALLOWED_TOP_LEVEL = {"__future__", "collections", "dataclasses", "datetime", "math", "typing"}


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module or "")
    return names


def test_engine_is_a_package_of_several_modules():
    assert len(MODULES) > 1


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_engine_module_imports_only_the_standard_library_and_itself(path):
    for name in _imports(ast.parse(path.read_text())):
        top = name.split(".")[0]
        assert name.startswith("gates.engine") or top in ALLOWED_TOP_LEVEL, (
            f"{path.name} imports {name}"
        )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_engine_module_never_reads_the_clock(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            assert node.attr not in {"now", "today", "utcnow"}, f"{path.name} reads the clock"
