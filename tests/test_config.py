"""topicgen.toml at the vault root, validated with one-line errors; CLI > environment > file > default."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import trust_settings

from topicgen.config import DEFAULT_MODEL, ENV_SETTINGS, Settings, load_settings
from topicgen.errors import ConfigError


def settings_from(
    tmp_path: Path,
    toml: str | None = None,
    env: dict | None = None,
    flags: dict | None = None,
    *,
    trusted: bool = False,
):
    if toml is not None:
        (tmp_path / "topicgen.toml").write_text(toml, encoding="utf-8")
    if trusted:
        trust_settings(tmp_path)
    return load_settings(tmp_path, flags, environ=env or {})


def error_from(
    tmp_path: Path, toml: str | None = None, env: dict | None = None, flags: dict | None = None
) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_from(tmp_path, toml, env, flags)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- defaults and the file -----------------------------------------------------------------------


def test_a_vault_without_a_config_file_gets_the_defaults(tmp_path):
    settings = settings_from(tmp_path)
    assert settings == Settings()
    assert settings.model == DEFAULT_MODEL
    assert settings.concurrency == 4
    assert settings.trailing_spaces is True
    assert (settings.paths.topics, settings.paths.books) == ("topics", "books")


def test_the_file_sets_every_kind_of_value(tmp_path):
    settings = settings_from(
        tmp_path,
        """
        model = "anthropic:claude-sonnet-4-5"
        site_url = "https://bagrounds.org/"
        concurrency = 8
        retries = 3
        reasks = 1
        trailing_spaces = false

        [paths]
        topics = "notes/topics"
        books = "library"

        [providers.openai-compatible]
        base_url = "http://localhost:8000/v1"
        api_key_env = "VLLM_KEY"
        """.replace("\n        ", "\n"),
        trusted=True,
    )
    assert settings.model == "anthropic:claude-sonnet-4-5"
    assert settings.site_url == "https://bagrounds.org"  # trailing slash dropped
    assert (settings.concurrency, settings.retries, settings.reasks) == (8, 3, 1)
    assert settings.trailing_spaces is False
    assert (settings.paths.topics, settings.paths.books) == ("notes/topics", "library")
    provider = settings.provider("openai-compatible")
    assert (provider.base_url, provider.api_key_env) == ("http://localhost:8000/v1", "VLLM_KEY")


def test_an_unconfigured_provider_has_empty_settings(tmp_path):
    assert settings_from(tmp_path).provider("ollama").base_url is None


# --- errors --------------------------------------------------------------------------------------


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path):
    message = error_from(tmp_path, "concurency = 3\n")
    assert (
        message == f"{tmp_path / 'topicgen.toml'}: unknown setting 'concurency' (did you mean 'concurrency'?)"
    )


def test_an_unknown_key_in_a_table_is_matched_against_that_table(tmp_path):
    assert "(did you mean 'topics'?)" in error_from(tmp_path, '[paths]\ntopic = "notes"\n')
    assert "(did you mean 'base_url'?)" in error_from(tmp_path, '[providers.ollama]\nbase_urll = "x"\n')


def test_an_api_key_in_the_file_is_refused_with_the_way_to_name_its_variable(tmp_path):
    message = error_from(tmp_path, '[providers.openai]\napi_key = "sk-not-here"\n')
    assert "api_key_env" in message


def test_a_wrong_type_names_the_setting_and_the_value(tmp_path):
    message = error_from(tmp_path, 'concurrency = "many"\n')
    assert "concurrency" in message
    assert "valid integer" in message
    assert "'many'" in message


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("concurrency = 0\n", "greater than or equal to 1"),
        ('model = "gpt-5-mini"\n', "provider:model"),
        ('site_url = "bagrounds.org"\n', "http://"),
        ('[paths]\ntopics = "../elsewhere"\n', "inside the vault"),
        ('[paths]\ntopics = "/abs/topics"\n', "inside the vault"),
        ("reasks = -1\n", "greater than or equal to 0"),
        ("retries = 2.5\n", "valid integer"),
    ],
)
def test_out_of_range_values_are_refused(tmp_path, toml, words):
    assert words in error_from(tmp_path, toml)


def test_bad_toml_is_one_line_naming_the_file(tmp_path):
    message = error_from(tmp_path, "model = [\n")
    assert message.startswith(f"{tmp_path / 'topicgen.toml'}: not valid TOML")


def test_a_config_file_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "topicgen.toml").write_bytes(b'site_url = "\xff"\n')
    assert error_from(tmp_path).endswith("topicgen.toml: not UTF-8 text")


def test_an_environment_error_names_the_variable(tmp_path):
    message = error_from(tmp_path, env={"TOPICGEN_CONCURRENCY": "lots"})
    assert message.startswith("TOPICGEN_CONCURRENCY: concurrency:")


def test_a_flag_error_names_the_flag(tmp_path):
    assert error_from(tmp_path, flags={"concurrency": 0}).startswith("--concurrency: concurrency:")


# --- precedence ----------------------------------------------------------------------------------


def test_the_file_overrides_the_default(tmp_path):
    assert settings_from(tmp_path, "concurrency = 3\n").concurrency == 3


def test_the_environment_overrides_the_file(tmp_path):
    assert settings_from(tmp_path, "concurrency = 3\n", env={"TOPICGEN_CONCURRENCY": "5"}).concurrency == 5


def test_a_flag_overrides_the_environment_and_the_file(tmp_path):
    settings = settings_from(
        tmp_path, "concurrency = 3\n", env={"TOPICGEN_CONCURRENCY": "5"}, flags={"concurrency": 7}
    )
    assert settings.concurrency == 7


def test_an_unset_flag_does_not_hide_the_environment(tmp_path):
    settings = settings_from(tmp_path, env={"TOPICGEN_MODEL": "ollama:llama3.1"}, flags={"model": None})
    assert settings.model == "ollama:llama3.1"


def test_an_empty_environment_variable_counts_as_unset(tmp_path):
    assert settings_from(tmp_path, "concurrency = 3\n", env={"TOPICGEN_CONCURRENCY": ""}).concurrency == 3


def test_environment_booleans_read_as_booleans(tmp_path):
    assert settings_from(tmp_path, env={"TOPICGEN_TRAILING_SPACES": "false"}).trailing_spaces is False


def test_every_scalar_setting_has_a_topicgen_variable():
    assert ENV_SETTINGS["model"] == "TOPICGEN_MODEL"
    assert ENV_SETTINGS["site_url"] == "TOPICGEN_SITE_URL"
    assert ENV_SETTINGS["concurrency"] == "TOPICGEN_CONCURRENCY"
    assert ENV_SETTINGS["trailing_spaces"] == "TOPICGEN_TRAILING_SPACES"
    assert not {"paths", "providers", "prices"} & set(ENV_SETTINGS)


def test_the_process_environment_is_read_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("TOPICGEN_REASKS", "0")
    assert load_settings(tmp_path).reasks == 0
