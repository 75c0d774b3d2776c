"""The README's promises that code can check: its commands, its configuration reference, CI."""

from __future__ import annotations

import re
from pathlib import Path

from topicgen.config import ENV_SETTINGS, Settings

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
CI = REPO / ".ci" / "run"
SETUP = (
    "python -m pip install --require-hashes -r requirements.lock && "
    "python -m pip install --no-deps --no-build-isolation -e . && "
    'topicgen new "Large Language Models" --model replay:fixtures/exchanges '
    "--vault fixtures/vaults/reference --output -"
)
TEST = "python -m pytest"


def code_lines(text: str) -> list[str]:
    """The lines inside the README's fenced code blocks."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines()]


def test_the_readme_gives_the_two_set_up_commands_exactly():
    lines = code_lines(README)
    assert SETUP in lines
    assert TEST in lines


def test_every_setting_is_in_the_configuration_reference_with_its_variable_and_default():
    rows = {line.split("|")[1].strip(" `"): line for line in README.splitlines() if line.startswith("| `")}
    for key, field in Settings.model_fields.items():
        name = field.alias or key  # as topicgen.toml spells it (the field ``models`` is ``model``)
        assert name in rows, name
        if name in ENV_SETTINGS:
            assert f"`{ENV_SETTINGS[name]}`" in rows[name], name
        if isinstance(field.default, int | float | str) and not isinstance(field.default, bool):
            assert str(field.default) in rows[name], name


def test_the_readme_documents_the_vault_prompt_overrides_and_exit_codes():
    assert "<vault>/.topicgen/prompts/" in README
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in README


def test_the_readme_keeps_a_performance_section():
    assert "\n## Performance\n" in README


def test_ci_is_executable_and_runs_the_readme_commands_exactly():
    assert CI.stat().st_mode & 0o111
    lines = [line.strip() for line in CI.read_text(encoding="utf-8").splitlines()]
    assert any(line.startswith(SETUP) for line in lines)
    assert TEST in lines
