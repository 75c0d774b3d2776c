"""``topicgen config`` shows every setting's value in effect and where it came from (issue 21.11).

An unset setting shows the default it stands for (``16384  # default``) or
what "none" means, never ``null``; a provider's own address variable that the
file overrides is named as not used, so the exception to "flag > environment
> topicgen.toml > default" is visible where a person looks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from topicgen.cli import app
from topicgen.upkeep.settings_report import settings_report


def config(vault: Path, *args: str, **env: str) -> dict[str, str]:
    """``topicgen config`` in ``vault``: each setting's line, by name."""
    result = CliRunner().invoke(app, ["config", "--vault", str(vault), *args], env=env)
    assert result.exit_code == 0, result.stderr
    return {line.split(" = ")[0].strip(): line for line in result.stdout.splitlines()[1:]}


def write_toml(vault: Path, text: str) -> Path:
    """The vault's topicgen.toml, trusted (its [providers] addresses are used: ``topicgen trust``)."""
    from conftest import trust_settings

    path = vault / "topicgen.toml"
    path.write_text(text, encoding="utf-8")
    trust_settings(vault)
    return path


def test_an_ollama_setting_the_file_leaves_unset_shows_its_default_not_null(empty_vault):
    write_toml(empty_vault, '[providers.ollama]\nbase_url = "http://gpu-box.local:11434"\n')

    lines = config(empty_vault)

    assert lines["providers.ollama.num_ctx"].endswith("= 16384  # default")
    assert lines["providers.ollama.api_key_env"].endswith(
        '= "OLLAMA_API_KEY"  # default: OLLAMA_API_KEY is not set (optional)'
    )
    assert not [line for line in lines.values() if "null" in line]


def test_no_setting_shows_null_each_unset_one_says_what_none_means(empty_vault):
    _, rows = settings_report(empty_vault, environ={})
    assert {row.name for row in rows if row.value is None and not row.note} == set()
    lines = config(empty_vault)
    assert lines["rpm"].endswith(
        "= none  # default: no client-side budget (learnt from the provider's rate-limit headers)"
    )
    assert lines["max_cost"].endswith("= none  # default: no budget")


def test_ollama_base_url_from_the_environment_is_shown_as_not_used_when_the_file_sets_one(empty_vault):
    toml = write_toml(empty_vault, '[providers.ollama]\nbase_url = "http://gpu-box.local:11434"\n')

    lines = config(empty_vault, OLLAMA_BASE_URL="http://127.0.0.1:11434")

    assert lines["providers.ollama.base_url"].endswith(
        f'= "http://gpu-box.local:11434"  # file {toml} (trusted): '
        "OLLAMA_BASE_URL=http://127.0.0.1:11434 is not used: the file's base_url wins"
    )


def test_the_address_the_environment_gives_is_shown_when_the_file_names_none(empty_vault):
    lines = config(empty_vault, "--model", "ollama:llama3.1", OLLAMA_BASE_URL="http://127.0.0.1:11434")

    assert lines["providers.ollama.base_url"].endswith(
        '= "http://127.0.0.1:11434"  # environment OLLAMA_BASE_URL'
    )


@pytest.mark.parametrize(
    ("model", "address"),
    [
        ("openai:gpt-6-luna", '"https://api.openai.com/v1"  # default'),
        ("anthropic:claude-sonnet-4-6", '"https://api.anthropic.com"  # default'),
        ("ollama:llama3.1", '"http://localhost:11434"  # default'),
        ("openai-compatible:qwen", "none  # default: none: set base_url here or OPENAI_BASE_URL (needed)"),
    ],
)
def test_the_models_provider_shows_the_address_it_would_use(empty_vault, model, address):
    provider = model.split(":")[0]
    assert config(empty_vault, "--model", model)[f"providers.{provider}.base_url"].endswith(f"= {address}")


def test_config_says_whether_the_keys_variable_is_set_and_never_its_value(empty_vault):
    key = "tgtest-config-value-3f9a1c"
    lines = config(empty_vault, OPENAI_API_KEY=key)
    assert lines["providers.openai.api_key_env"].endswith(
        '= "OPENAI_API_KEY"  # default: OPENAI_API_KEY is set'
    )
    assert key not in "\n".join(lines.values())


def test_a_password_in_an_address_is_hidden(empty_vault):
    write_toml(
        empty_vault, '[providers.openai-compatible]\nbase_url = "http://me:hunter22@localhost:8000/v1"\n'
    )
    lines = config(empty_vault)
    assert '"http://[redacted]@localhost:8000/v1"' in lines["providers.openai-compatible.base_url"]


def test_config_json_gives_the_value_in_effect_and_a_note(empty_vault):
    result = CliRunner().invoke(app, ["config", "--json", "--vault", str(empty_vault), "--model", "ollama:m"])
    rows = {row["setting"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["providers.ollama.num_ctx"] == {
        "setting": "providers.ollama.num_ctx",
        "value": 16384,
        "from": "default",
    }
    assert rows["max_cost"] == {"setting": "max_cost", "value": None, "from": "default", "note": "no budget"}
