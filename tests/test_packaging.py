"""Layout and packaging: the built wheel carries prompts/ and schemas/ and runs from anywhere."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
EXCHANGES = REPO / "fixtures" / "exchanges"


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from the working tree the way `pip install .` builds it."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, REPO],
        check=True,
        capture_output=True,
    )
    (built,) = dist.glob("topicgen-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel installed (not editable); dependencies borrowed from this one."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel],
        check=True,
        capture_output=True,
    )
    fresh_site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (fresh_site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def clean_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TOPICGEN_", "PYTHON"))}
    env.pop("OPENAI_API_KEY", None)
    env.pop("ANTHROPIC_API_KEY", None)
    return env


# --- layout --------------------------------------------------------------------------------------


def test_the_top_level_layout_is_the_design_cards():
    for name in ("topicgen", "prompts", "schemas", "fixtures", "tests"):
        assert (REPO / name).is_dir(), name
    assert (REPO / "README.md").is_file()
    assert (REPO / "pyproject.toml").is_file()


def test_the_project_declares_the_console_script_python_version_and_test_extra():
    project = PYPROJECT["project"]
    assert project["scripts"] == {"topicgen": "topicgen.cli:main"}
    assert project["requires-python"] == ">=3.11"
    assert {"pytest", "pytest-asyncio", "hatchling"} <= requirement_names(
        project["optional-dependencies"]["test"]
    )


def test_the_builtin_providers_are_declared_in_the_entry_point_group():
    providers = PYPROJECT["project"]["entry-points"]["topicgen.clients"]
    assert set(providers) == {"openai", "openai-compatible", "ollama", "anthropic", "gemini", "replay"}


def test_every_third_party_package_topicgen_imports_is_a_declared_dependency():
    """A dependency, or (for a provider SDK imported only by its adapter) an extra such as ``gemini``."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    declared = requirement_names(PYPROJECT["project"]["dependencies"]) | {
        name
        for extra, requirements in extras.items()
        if extra != "test"
        for name in requirement_names(requirements)
    }
    owners = packages_distributions()
    standard = sys.stdlib_module_names
    missing = set()
    for path in (REPO / "topicgen").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in standard or top in {"topicgen", "__future__"}:
                    continue
                distributions = {d.lower() for d in owners.get(top, [top])}
                if not distributions & declared:
                    missing.add((top, path.relative_to(REPO).as_posix()))
    assert missing == set()


# --- the wheel -----------------------------------------------------------------------------------


def test_the_wheel_carries_the_prompts_schema_and_page_templates(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (REPO / "prompts").glob("*.j2"):
        assert f"topicgen/prompts/{template.name}" in names
    assert "topicgen/schemas/topic-summary.schema.json" in names
    assert "topicgen/page/templates/page.md.j2" in names
    assert not any("__pycache__" in name for name in names)


def test_the_wheel_registers_the_console_script_and_providers(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [name for name in archive.namelist() if name.endswith(".dist-info/entry_points.txt")]
    text = archive.read(entry_points).decode()
    assert "topicgen = topicgen.cli:main" in text
    assert "[topicgen.clients]" in text
    assert "replay = topicgen.model.clients.replay:replay_client" in text


def test_the_installed_wheel_drafts_a_page_offline_from_another_folder(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [
            installed / "bin" / "topicgen",
            "new",
            "Large Language Models",
            "--model",
            f"replay:{EXCHANGES}",
            "--output",
            "-",
        ],
        cwd=elsewhere,
        env=clean_environment(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "# 🤖🦜 Large Language Models" in result.stdout
    assert "### 😂 A Joke" in result.stdout
    assert list(elsewhere.iterdir()) == []


def test_the_installed_package_is_the_wheels_copy_with_its_own_resources(installed, tmp_path):
    script = (
        "import topicgen, topicgen.resources as r, topicgen.page.schema as s;"
        "print(topicgen.__file__); print(r.resource_dir('prompts')); print(s.shipped_schema_path());"
        "print(s.shipped_schema_path().read_text() == s.schema_text())"
    )
    result = subprocess.run(
        [installed / "bin" / "python", "-c", script],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    package, prompts, schema, same = result.stdout.split()
    for path in (package, prompts, schema):
        assert Path(path).is_relative_to(installed), path
    assert same == "True"
