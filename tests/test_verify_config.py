"""The [verify] settings: file, environment and flags, merged key by key, each value validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from topicgen.config import TABLE_ENV_SETTINGS, load_settings
from topicgen.errors import ConfigError
from topicgen.verify.settings import VerifySettings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_references_are_checked_against_open_library_and_youtube_by_default(tmp_path: Path):
    settings = load_settings(tmp_path, environ={})
    assert settings.verify.enabled
    assert (settings.verify.books_url, settings.verify.videos_url) == (
        "https://openlibrary.org",
        "https://www.youtube.com",
    )


def test_the_environment_overrides_one_key_of_the_file_table_and_a_flag_overrides_both(tmp_path: Path):
    (tmp_path / "topicgen.toml").write_text(
        '[verify]\nbooks_url = "http://books.local/"\ntimeout = 3\n', encoding="utf-8"
    )
    environ = {"TOPICGEN_VERIFY_VIDEOS_URL": "http://videos.local", "TOPICGEN_VERIFY_TIMEOUT": "4"}
    settings = load_settings(tmp_path, {"verify": {"enabled": False}}, environ=environ)
    assert settings.verify == VerifySettings(
        enabled=False, books_url="http://books.local", videos_url="http://videos.local", timeout=4
    )


def test_a_bad_verify_value_names_the_variable_it_came_from(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"^TOPICGEN_VERIFY_BOOKS_URL: verify.books_url: must start with"):
        load_settings(tmp_path, environ={"TOPICGEN_VERIFY_BOOKS_URL": "openlibrary.org"})


def test_a_misspelt_verify_key_is_named_with_a_suggestion(tmp_path: Path):
    (tmp_path / "topicgen.toml").write_text("[verify]\nbook_url = 'http://x'\n", encoding="utf-8")
    suggestion = r"unknown setting 'verify.book_url' \(did you mean 'books_url'\?\)"
    with pytest.raises(ConfigError, match=suggestion):
        load_settings(tmp_path, environ={})


def test_every_verify_setting_is_in_the_readme_with_its_variable_and_default():
    rows = {line.split("|")[1].strip(" `"): line for line in README.splitlines() if line.startswith("| `")}
    for name, field in VerifySettings.model_fields.items():
        row = rows[f"verify.{name}"]
        assert f"`{TABLE_ENV_SETTINGS[('verify', name)]}`" in row
        if field.default is not None:
            assert str(field.default).lower() in row.lower()
