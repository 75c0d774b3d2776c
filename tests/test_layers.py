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


def _how_it_works() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split("## How it works", 1)[1].split("\n## ", 1)[0]


def test_the_readme_names_every_folder_and_module_of_the_package():
    """The README's "How it works" table is the map a newcomer reads: it must match the tree."""
    section = _how_it_works()
    package = REPO / "topicgen"
    missing = []
    for path in sorted(package.rglob("*")):
        if "__pycache__" in path.parts or path.name == "__init__.py":
            continue
        relative = path.relative_to(package)
        if relative.parts[0] == "testing" and len(relative.parts) > 2:
            continue  # the fake provider's own modules are its business
        if path.is_dir() and relative.parts[-1] != "templates":
            if f"`{relative.as_posix()}/`" not in section and f"`{relative.name}/`" not in section:
                missing.append(f"{relative.as_posix()}/")
        elif path.suffix == ".py" and path.name != "__main__.py":
            name = path.name if len(relative.parts) == 1 else path.stem
            if f"`{name}`" not in section:
                missing.append(relative.as_posix())
    assert missing == []
