"""A retired model is refused before any call, naming the date and the successor; a deprecated one
warns once; what the catalogue knows outlives the SDKs' lists (which drop a model once it is gone).

The SDK lists are fixture copies of real releases (anthropic 2.14.0 still listed claude-sonnet-4-5,
2.17.0 no longer does) and the day is pinned (conftest.py), so these pass on any day, with any SDK.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import sdk_list

from topicgen import clock
from topicgen.model.catalogue.lifecycle import Lifecycle, lifecycle

RETIRING = "openai:gpt-5-mini"  # shuts down 2026-12-11
RETIRED = "anthropic:claude-sonnet-4-5"  # retired 2026-11-30


def warnings_in(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning: ")]


@pytest.mark.parametrize("release", ["2.14.0", "2.17.0"])
def test_a_retired_model_is_refused_before_any_call_with_its_date_and_successor(
    cli, empty_vault, sdk_lists, release
):
    sdk_lists["anthropic"] = sdk_list("anthropic", release)

    for args in (("--dry-run",), ()):
        result = cli.run("new", "Graph Theory", *args, "--vault", str(empty_vault), TOPICGEN_MODEL=RETIRED)
        assert result.exit_code == 2
        assert "2026-11-30" in result.stderr and "anthropic:claude-sonnet-5-5" in result.stderr
    assert cli.server.stats().requests == 0
    assert not (empty_vault / "topics").exists()


def test_a_model_no_sdk_lists_any_more_is_still_known_retired(cli, empty_vault):
    result = cli.run(
        "new", "Rust", "--dry-run", "--vault", str(empty_vault), "-m", "anthropic:claude-opus-4-1"
    )

    assert result.exit_code == 2 and "2026-08-05" in result.stderr and "claude-opus-5-5" in result.stderr


@pytest.mark.parametrize("command", [("regen", "Rust"), ("adopt", "--all")])
def test_every_command_that_asks_a_model_refuses_a_retired_one(cli, vault, command):
    result = cli.run(*command, "--vault", str(vault), TOPICGEN_MODEL=RETIRED)

    assert result.exit_code == 2 and "was retired on 2026-11-30" in result.stderr
    assert cli.server.stats().requests == 0


def test_a_run_on_a_deprecated_model_ends_with_one_warning_naming_the_date_and_successor(cli, empty_vault):
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault), TOPICGEN_MODEL=RETIRING)

    assert result.exit_code == 0, result.stderr
    (warning,) = warnings_in(result.stderr)
    assert (
        RETIRING in warning
        and "2026-12-11" in warning
        and "gpt-6.1-terra" in warning
        and "--model" in warning
    )


def test_a_run_on_a_current_model_has_no_such_warning(cli, empty_vault):
    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault), TOPICGEN_MODEL="openai:gpt-6-luna")

    assert result.exit_code == 0, result.stderr
    assert warnings_in(result.stderr) == []


def test_a_dry_run_names_the_deprecation_before_anything_is_spent(cli, empty_vault):
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


def test_a_deprecation_a_newer_sdk_announces_is_heard_before_the_catalogue_knows_it(sdk_lists):
    sdk_lists["openai"]["gpt-6-luna"] = dt.date(2027, 6, 1)

    found = lifecycle("openai:gpt-6-luna")

    assert (found.status, found.retires) == ("deprecated", dt.date(2027, 6, 1))
    assert found.source.startswith("the openai SDK")


def test_an_sdk_that_still_lists_a_retired_model_as_deprecated_does_not_bring_it_back(sdk_lists):
    sdk_lists["anthropic"] = sdk_list("anthropic", "2.14.0")

    assert lifecycle(RETIRED).status == "retired"


def test_a_deprecated_model_past_its_date_is_overdue_not_retired():
    found = lifecycle("anthropic:claude-mythos-preview")  # deprecated, retirement date 2026-06-30

    assert found.status == "deprecated" and not found.refused
    assert "was due to retire on 2026-06-30" in found.describe()


def test_a_year_later_the_same_models_give_the_same_answers():
    clock.set_today(dt.date(2027, 12, 6))

    assert lifecycle(RETIRED).refused
    assert lifecycle(RETIRING).status == "deprecated"
    assert "was due to retire on 2026-12-11" in lifecycle(RETIRING).describe()
    assert lifecycle("openai:gpt-6-luna").status == "active"


@pytest.mark.parametrize(
    ("today", "wording"),
    [
        (dt.date(2026, 12, 1), "retires on 2026-12-11"),
        (dt.date(2026, 12, 11), "retires today, 2026-12-11"),
        (dt.date(2026, 12, 12), "was due to retire on 2026-12-11"),
    ],
)
def test_the_warning_says_whether_the_date_is_ahead_today_or_past(today, wording):
    found = Lifecycle(RETIRING, "deprecated", dt.date(2026, 12, 11), None, "the catalogue")
    assert wording in found.describe(today)


@pytest.mark.parametrize(
    "spec", ["ollama:llama3.1", "replay:fixtures/exchanges", "not a spec", "openai:gpt-6-luna"]
)
def test_models_nobody_retires_have_no_lifecycle_warning(spec):
    found = lifecycle(spec)
    assert found is None or found.status == "active"


async def test_a_model_the_provider_no_longer_has_names_the_catalogues_date_and_successor(provider):
    import httpx2

    from topicgen import errors
    from topicgen.model.clients import create_client
    from topicgen.model.clients.base import Message, ModelRequest
    from topicgen.model.clients.retrying import RetryingClient

    clock.set_today(dt.date(2026, 12, 12))
    body = {"error": {"message": "The model `gpt-5-mini` does not exist", "code": "model_not_found"}}
    provider.then(httpx2.Response(404, json=body))
    client = RetryingClient(create_client(RETIRING, provider.options()))
    request = ModelRequest((Message("system", "Write notes."), Message("user", "Rust")), {"type": "object"})

    with pytest.raises(errors.ModelNotFound) as caught:
        await client.complete(request)
    await client.aclose()

    assert "2026-12-11" in str(caught.value) and "openai:gpt-6.1-terra" in str(caught.value)


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
    from topicgen.model.catalogue.sdk_lists import words_date

    assert words_date(words) == date


def test_checking_a_model_before_a_run_imports_no_provider_sdk():
    """The check runs before the first request, while the SDK loads in the background: the SDKs'
    lists are read from their files, so it costs milliseconds, not the SDK's import."""
    import subprocess
    import sys

    code = (
        "import sys; from topicgen.model.catalogue.lifecycle import lifecycle; "
        "found = [lifecycle(s) for s in ('openai:gpt-5-mini', 'anthropic:claude-opus-4-5')]; "
        "print(found[0].status, found[1].status, 'openai' in sys.modules, 'anthropic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.split() == ["deprecated", "deprecated", "False", "False"]
