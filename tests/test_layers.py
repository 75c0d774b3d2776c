"""The architecture is checked, not hoped for: import-linter's contracts in pyproject.toml hold
and fail on an upward import, and no module or class grows past a size a reader can hold."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the ``topicgen`` package found under ``root``, with the repo's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [LINT_IMPORTS, "--config", str(REPO / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the package the test may break without touching the repo."""
    shutil.copytree(REPO / "topicgen", tmp_path / "topicgen", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_the_package_keeps_every_layering_contract():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.split("Contracts:")[-1].replace("0 broken", "")


def test_an_upward_import_breaks_the_layers_contract(package_copy: Path):
    outline = package_copy / "topicgen" / "page" / "outline.py"
    outline.write_text(outline.read_text(encoding="utf-8") + "\nimport topicgen.runs.api  # upward\n")
    result = lint_imports(package_copy)
    assert result.returncode == 1
    assert "topicgen.page.outline -> topicgen.runs.api" in result.stdout


def test_a_provider_sdk_imported_outside_its_adapter_breaks_a_contract(package_copy: Path):
    generate = package_copy / "topicgen" / "model" / "generate.py"
    generate.write_text(generate.read_text(encoding="utf-8") + "\nimport openai  # outside the adapter\n")
    result = lint_imports(package_copy)
    assert result.returncode == 1
    assert "topicgen.model.generate -> openai" in result.stdout


def test_typer_imported_outside_the_cli_breaks_a_contract(package_copy: Path):
    engine = package_copy / "topicgen" / "runs" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\nimport typer  # outside the CLI\n")
    result = lint_imports(package_copy)
    assert result.returncode == 1
    assert "topicgen.runs.engine -> typer" in result.stdout


MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 400


def _python_files() -> list[Path]:
    return sorted((REPO / "topicgen").rglob("*.py"))


def test_no_module_is_over_600_lines():
    long = {
        str(path.relative_to(REPO)): lines
        for path in _python_files()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    }
    assert long == {}, "split these by what they do"


def test_no_class_is_over_400_lines():
    long = {}
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                long[f"{path.relative_to(REPO)}::{node.name}"] = node.end_lineno - node.lineno + 1
    assert long == {}, "split these by the shapes they handle"
