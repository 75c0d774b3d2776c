"""The model catalogue topicgen ships: every model the README names is in it, current and priced; the
SDK readers still read the installed SDKs' format; the maintainer's refresh only moves facts forward.

Nothing here depends on which models the installed SDKs list or on today's date: the SDK lists are
fixture copies (fixtures/sdk/), prices a genai-prices snapshot (fixtures/prices/), the day pinned
(conftest.py). The installed packages are read only to check that their format still parses.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx2
import pytest

from topicgen.config import DEFAULT_MODEL
from topicgen.model.catalogue import Catalogue, ModelFacts, Rates, catalogue, nearest_effort
from topicgen.model.catalogue.refresh import Heard, Sources, merge
from topicgen.model.costs import price_for

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
PRICED = ("openai", "anthropic", "gemini")


def readme_specs() -> set[str]:
    """Every ``provider:model`` the README names for a priced provider (placeholders excluded)."""
    found = re.findall(r"(?<![\w-])((?:openai|anthropic|gemini):[a-z0-9][\w.\-]*[a-z0-9])", README)
    return set(found) | {DEFAULT_MODEL}


def recommended() -> set[str]:
    return {spec for spec, facts in catalogue().models.items() if facts.recommended} | {DEFAULT_MODEL}


# --- the catalogue and the README agree --------------------------------------------------------------


@pytest.mark.parametrize("spec", sorted(readme_specs()))
def test_every_model_the_readme_names_is_in_the_catalogue_with_live_and_batch_prices(spec):
    assert catalogue().find(spec) is not None, f"{spec} is named in the README but not catalogued"
    assert price_for(spec) is not None and price_for(spec, batch=True) is not None


@pytest.mark.parametrize("spec", sorted(recommended()))
def test_the_default_and_the_recommended_models_are_current_and_named_in_the_readme(spec):
    assert catalogue().find(spec)[1].status == "active"
    assert spec in readme_specs()


def test_models_json_lists_every_model_the_readme_names_with_status_and_prices(cli):
    result = cli.run("models", "--json", "--all")

    assert result.exit_code == 0, result.stderr
    rows = {row["model"]: row for row in map(json.loads, result.stdout.splitlines())}
    for spec in readme_specs():
        row = rows[catalogue().find(spec)[0]]
        assert row["status"] in ("active", "deprecated", "retired")
        assert row["price"]["input"] >= 0 and row["batch_price"]["output"] >= 0
    assert rows[DEFAULT_MODEL]["default"] is True


def test_models_marks_the_default_and_hides_retired_ones_unless_asked(cli):
    shown = cli.run("models").stdout
    everything = cli.run("models", "--all").stdout

    assert re.search(rf"^\*\s+{re.escape(DEFAULT_MODEL)}\s", shown, re.MULTILINE)
    assert "anthropic:claude-sonnet-4-5 " not in shown
    assert re.search(r"anthropic:claude-sonnet-4-5\s+retired 2026-11-30 → claude-sonnet-5-5", everything)


def test_models_takes_one_provider(cli):
    rows = [
        json.loads(line) for line in cli.run("models", "--json", "--provider", "gemini").stdout.splitlines()
    ]

    assert rows and all(row["model"].startswith("gemini:") for row in rows)
    assert cli.run("models", "--provider", "nope").exit_code == 2


def test_the_catalogue_file_is_written_as_it_is_read():
    from topicgen.model.catalogue import CATALOGUE_FILE

    assert catalogue().dumps() == CATALOGUE_FILE.read_text(encoding="utf-8")


def test_every_successor_is_a_current_catalogued_model():
    for spec, facts in catalogue().models.items():
        if facts.successor is not None:
            assert catalogue().find(facts.successor)[1].status == "active", spec


def test_every_fact_says_where_it_came_from_and_when():
    for spec, facts in catalogue().models.items():
        assert "lifecycle" in facts.sources, spec
        assert facts.price is None or "price" in facts.sources, spec
        assert facts.checked <= catalogue().checked


def test_a_dated_snapshot_is_found_as_its_model():
    assert catalogue().find("anthropic:claude-sonnet-4-5-20250929")[0] == "anthropic:claude-sonnet-4-5"
    assert catalogue().find("openai:gpt-5-mini-2025-08-07")[0] == "openai:gpt-5-mini"


@pytest.mark.parametrize(
    ("levels", "wanted", "sent"),
    [
        (("none", "low", "medium", "high", "xhigh"), "low", "low"),
        (("minimal", "low", "medium", "high"), "none", "minimal"),  # gpt-5 has no 'none'
        (("low", "medium", "high", "max"), "none", "low"),  # Claude's scale starts at low
        (("low", "medium", "high"), "xhigh", "high"),
        ((), "low", None),
    ],
)
def test_the_effort_sent_is_the_nearest_the_model_takes(levels, wanted, sent):
    assert nearest_effort(levels, wanted) == sent


# --- the SDK readers ---------------------------------------------------------------------------------


def test_the_openai_reader_finds_the_shutdown_dates_in_its_sdks_text(sdk_lists):
    assert sdk_lists["openai"]["gpt-5-mini"] == dt.date(2026, 12, 11)
    assert sdk_lists["openai"]["gpt-5.1-mini"] is None  # "Not a supported model ID"


def test_the_anthropic_reader_finds_the_end_of_life_dates_in_its_sdks_table():
    from conftest import sdk_list

    assert sdk_list("anthropic", "2.14.0")["claude-sonnet-4-5"] == dt.date(2026, 11, 30)
    assert "claude-sonnet-4-5" not in sdk_list("anthropic", "2.17.0")  # dropped once it was gone


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_the_installed_sdks_lists_still_parse(provider):
    """Format only: whatever this SDK release lists, the readers turn it into ids and dates."""
    from importlib import import_module

    from topicgen.model.catalogue.sdk_lists import READERS

    adapter = import_module(f"topicgen.model.clients.{provider}")
    dates, known = READERS[provider](), adapter.known_models()
    assert all(isinstance(model, str) for model in dates) and known
    assert all(date is None or isinstance(date, dt.date) for date in dates.values())


def test_the_installed_genai_prices_still_parses():
    """Format only: the first OpenAI model the installed genai-prices prices reads as a price."""
    from genai_prices.data_snapshot import get_snapshot

    from topicgen.model import costs

    openai = next(p for p in get_snapshot().providers if p.id == "openai")
    prices = [costs._genai_price("openai", model.id, False, dt.date(2026, 12, 6)) for model in openai.models]
    assert any(price is not None and price.input >= 0 for price in prices)


# --- the maintainer's refresh -------------------------------------------------------------------------

TODAY = dt.date(2026, 12, 6)


def small_catalogue(**models: ModelFacts) -> Catalogue:
    return Catalogue(checked=dt.date(2026, 1, 1), models={k.replace("__", ":"): v for k, v in models.items()})


def test_a_refresh_adds_what_a_new_sdk_lists_and_never_drops_what_it_no_longer_does():
    old = ModelFacts(status="deprecated", retires=dt.date(2026, 11, 30), checked=dt.date(2026, 1, 1))
    current = small_catalogue(anthropic__claude_old=old)
    sources = Sources(listed={"anthropic": {"claude-new-6"}})

    refreshed = merge(current, sources, TODAY)

    assert refreshed.models["anthropic:claude_old"].status == "retired"  # gone after its date
    assert "no longer listed" in refreshed.models["anthropic:claude_old"].sources["lifecycle"]
    assert refreshed.models["anthropic:claude-new-6"].status == "active"


def test_a_refresh_never_moves_a_model_back_to_an_earlier_stage():
    gone = ModelFacts(status="retired", retires=dt.date(2026, 11, 30), checked=dt.date(2026, 1, 1))
    current = small_catalogue(anthropic__claude_gone=gone)
    heard = Heard(status="deprecated", retires=dt.date(2026, 11, 30), source="anthropic SDK 2.14.0")

    refreshed = merge(current, Sources(heard={"anthropic:claude_gone": [heard]}), TODAY)

    assert refreshed.models["anthropic:claude_gone"].status == "retired"


def test_a_refresh_takes_the_apis_lifecycle_and_capabilities_naming_the_source():
    facts = ModelFacts(checked=dt.date(2026, 1, 1))
    heard = Heard(
        status="deprecated",
        retires=dt.date(2027, 3, 1),
        effort=("low", "high"),
        source="Anthropic models API",
    )

    refreshed = merge(small_catalogue(anthropic__m=facts), Sources(heard={"anthropic:m": [heard]}), TODAY)

    model = refreshed.models["anthropic:m"]
    assert (model.status, model.retires, model.effort) == ("deprecated", dt.date(2027, 3, 1), ("low", "high"))
    assert model.sources["lifecycle"] == "Anthropic models API" and model.checked == TODAY


def test_a_refresh_updates_a_changed_price_and_leaves_an_unchanged_one_alone():
    price = Rates(input=1, output=5)
    current = small_catalogue(
        openai__a=ModelFacts(price=price, checked=dt.date(2026, 1, 1)),
        openai__b=ModelFacts(price=price, checked=dt.date(2026, 1, 1)),
    )
    sources = Sources(
        prices={
            "openai:a": (Rates(input=0.5, output=2), None, "genai-prices 9"),
            "openai:b": (price, None, "x"),
        }
    )

    refreshed = merge(current, sources, TODAY)

    assert refreshed.models["openai:a"].price == Rates(input=0.5, output=2)
    assert refreshed.models["openai:a"].sources["price"] == "genai-prices 9"
    assert refreshed.models["openai:b"] == current.models["openai:b"]


def test_the_anthropic_models_api_is_read_into_lifecycle_and_capabilities():
    from topicgen.model.clients.anthropic import listed_models

    capability = {"supported": True}
    page = {
        "data": [
            {
                "id": "claude-sonnet-4-5",
                "type": "model",
                "display_name": "Claude Sonnet 4.5",
                "created_at": "2025-09-29T00:00:00Z",
                "lifecycle": "retired",
                "deprecated_at": "2026-08-01T00:00:00Z",
                "retires_at": "2026-11-30T00:00:00Z",
                "capabilities": {
                    "batch": capability,
                    "citations": capability,
                    "code_execution": capability,
                    "context_management": {"supported": True},
                    "effort": {
                        "supported": True,
                        "low": capability,
                        "medium": capability,
                        "high": {"supported": False},
                        "max": {"supported": False},
                    },
                    "image_input": capability,
                    "pdf_input": capability,
                    "server_tools": {"supported": True},
                    "structured_outputs": capability,
                    "thinking": {"supported": True},
                },
            }
        ],
        "has_more": False,
        "first_id": "claude-sonnet-4-5",
        "last_id": "claude-sonnet-4-5",
    }
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=page))

    ((model, facts),) = listed_models("test-key", http_client=httpx2.Client(transport=transport))

    assert model == "claude-sonnet-4-5"
    assert facts["status"] == "retired" and facts["retires"] == dt.date(2026, 11, 30)
    assert facts["effort"] == ("low", "medium") and facts["batch"] and facts["structured_outputs"]


def test_the_refresh_command_prints_a_diff_and_writes_only_when_asked(tmp_path, monkeypatch, capsys):
    from topicgen.model.catalogue import refresh

    target = tmp_path / "models.json"
    target.write_text(catalogue().dumps(), encoding="utf-8")
    monkeypatch.setattr(refresh, "CATALOGUE_FILE", target)
    news = Sources(
        heard={
            "openai:gpt-6-luna": [
                Heard(status="deprecated", retires=dt.date(2027, 6, 1), source="openai SDK 9")
            ]
        }
    )

    refresh.main(["refresh"], gathered=lambda current: news)
    shown = capsys.readouterr().out
    assert '+      "retires": "2027-06-01",' in shown and target.read_text() == catalogue().dumps()

    refresh.main(["refresh", "--write"], gathered=lambda current: news)
    assert '"retires": "2027-06-01"' in target.read_text()
