"""A run, a dry run and ``topicgen config`` on a model its provider's SDK lists as retiring end with one
warning line naming the date; a current model gets none."""

from __future__ import annotations

import datetime as dt

import pytest

from topicgen.model.clients.anthropic import words_date
from topicgen.model.retirement import Retirement, retirement

RETIRING = "openai:gpt-5-mini"  # the OpenAI SDK lists its shutdown: 2026-12-11
RETIRED = "anthropic:claude-sonnet-4-5"  # the Anthropic SDK: end of life November 30th, 2026


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


@pytest.mark.parametrize(("model", "date"), [(RETIRING, "2026-12-11"), (RETIRED, "2026-11-30")])
def test_a_run_on_a_model_its_sdk_retires_ends_with_one_warning_naming_the_date(
    cli, empty_vault, model, date
):
    provider = model.partition(":")[0]
    result = cli.run(
        "new", "Graph Theory", "--vault", str(empty_vault), provider=provider, TOPICGEN_MODEL=model
    )

    assert result.exit_code == 0, result.stderr
    (warning,) = warnings_in(result.stderr)
    assert model in warning and date in warning and "--model" in warning


def test_a_run_on_a_model_no_sdk_retires_has_no_such_warning(cli, empty_vault):
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    assert warnings_in(result.stderr) == []


def test_a_dry_run_names_the_retirement_before_anything_is_spent(cli, empty_vault):
    result = cli.run("new", "Graph Theory", "--dry-run", "--vault", str(empty_vault), TOPICGEN_MODEL=RETIRING)

    assert result.exit_code == 0, result.stderr
    (warning,) = warnings_in(result.stderr)
    assert RETIRING in warning and "2026-12-11" in warning
    assert cli.server.stats().requests == 0


def test_config_warns_on_stderr_and_leaves_its_json_alone(cli, empty_vault):
    import json

    result = cli.run("config", "--json", "--vault", str(empty_vault), TOPICGEN_MODEL=RETIRING)

    assert result.exit_code == 0, result.stderr
    assert all(json.loads(line) for line in result.stdout.splitlines())
    (warning,) = warnings_in(result.stderr)
    assert RETIRING in warning


@pytest.mark.parametrize(
    ("today", "wording"),
    [
        (dt.date(2026, 12, 1), "shuts down on 2026-12-11"),
        (dt.date(2026, 12, 11), "retires today, 2026-12-11"),
        (dt.date(2026, 12, 12), "was retired on 2026-12-11"),
    ],
)
def test_the_warning_says_whether_the_shutdown_is_ahead_today_or_past(today, wording):
    assert wording in Retirement(RETIRING, dt.date(2026, 12, 11), "the openai SDK").describe(today)


def test_a_model_the_sdk_lists_without_a_date_is_no_longer_supported():
    assert "is no longer a supported model" in Retirement("openai:old", None, "the openai SDK").describe()


@pytest.mark.parametrize(
    "spec", ["ollama:llama3.1", "replay:fixtures/exchanges", "not a spec", "openai:gpt-6-luna"]
)
def test_models_no_sdk_lists_have_no_retirement(spec):
    assert retirement(spec) is None


@pytest.mark.parametrize(
    ("words", "date"),
    [
        ("November 30th, 2026", dt.date(2026, 11, 30)),
        ("January 22nd, 2027", dt.date(2027, 1, 22)),
        ("June 1 2027", dt.date(2027, 6, 1)),
        ("soon", None),
        ("Smarch 3rd, 2027", None),
        ("February 30th, 2027", None),
    ],
)
def test_the_anthropic_sdks_dates_in_words_are_read(words, date):
    assert words_date(words) == date
