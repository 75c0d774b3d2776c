"""A fallback chain of models (issue 22 item 6): when a model is unavailable for the run, the rest of
the run asks the next one; unusable replies stay with their model; pages record who wrote them.

The runs go through the real OpenAI and Anthropic SDKs to the fake provider, which serves both
wire formats and answers a model in ``missing_models`` with the provider's own 404.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
import yaml

from topicgen.config import load_settings
from topicgen.errors import ConfigError, ModelNotFound, ProviderUnavailable, UsageError
from topicgen.model.clients.base import Finish, Message, ModelReply, ModelRequest, Usage
from topicgen.model.clients.fallback import FallbackClient, Switch
from topicgen.model.clients.function import FunctionClient
from topicgen.model.clients.retrying import RetryingClient
from topicgen.model.costs import price_for
from topicgen.runs.api import budget_price, summary_price
from topicgen.runs.workshop import Outcome, Status
from topicgen.testing import Fault, HttpError

FIRST, SECOND = "openai:gpt-6-luna", "anthropic:claude-haiku-5-5"
CHAIN = f"{FIRST},{SECOND}"
TOPICS = ("Graph Theory", "Set Theory", "Logic", "Topology", "Category Theory")
SWITCH = "is unavailable, the rest of the run uses"
REQUEST = ModelRequest((Message("system", "Write notes."), Message("user", "Rust")), {"type": "object"})


def requests_by_model(server) -> Counter[str]:
    return Counter(str(record.body.get("model")) for record in server.requests)


def recorded_model(page: Path) -> str:
    front = page.read_text(encoding="utf-8").split("---\n")[1]
    return yaml.safe_load(front)["topicgen_model"]


def pages_in(vault: Path) -> list[Path]:
    """The topic pages written (the index aside)."""
    return sorted(page for page in (vault / "topics").glob("*.md") if page.stem != "index")


def switch_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if SWITCH in line]


def new(cli, vault: Path, *args: str, **env: str):
    return cli.run("new", *TOPICS, "--vault", str(vault), "--plain", *args, TOPICGEN_MODEL=CHAIN, **env)


# --- the acceptance run: the first model answers 404 --------------------------------------------


def test_a_first_model_that_is_not_found_leaves_every_page_to_the_second(cli, empty_vault):
    cli.server.configure(missing_models={"gpt-6-luna"})

    result = new(cli, empty_vault, "--concurrency", "1")

    assert result.exit_code == 0, result.stderr
    assert len(pages_in(empty_vault)) == 5
    assert requests_by_model(cli.server) == {"gpt-6-luna": 1, "claude-haiku-5-5": 5}
    (line,) = switch_lines(result.stderr)
    assert line.startswith(
        f"{FIRST} {SWITCH} {SECOND}: openai: HTTP 404: The model `gpt-6-luna` does not exist"
    )


def test_no_request_goes_to_the_first_model_after_its_404_while_pages_are_in_flight(cli, empty_vault):
    cli.server.configure(missing_models={"gpt-6-luna"})

    result = new(cli, empty_vault, "--concurrency", "4")

    assert result.exit_code == 0, result.stderr
    asked = [(record.index, str(record.body.get("model"))) for record in cli.server.requests]
    first = [index for index, model in asked if model == "gpt-6-luna"]
    second = [index for index, model in asked if model == "claude-haiku-5-5"]
    assert len(first) <= 4  # only the requests in flight together, before any 404 came back
    assert max(first) < min(second)  # none after the chain moved on
    assert len(switch_lines(result.stderr)) == 1


def test_each_page_records_the_model_that_wrote_it(cli, empty_vault):
    cli.server.script(HttpError(404, "The model `gpt-6-luna` does not exist"), topic="Logic")

    result = new(cli, empty_vault, "--concurrency", "1")

    assert result.exit_code == 0, result.stderr
    written = {page.stem: recorded_model(page) for page in pages_in(empty_vault)}
    assert written == {
        "graph-theory": FIRST,
        "set-theory": FIRST,
        "logic": SECOND,
        "topology": SECOND,
        "category-theory": SECOND,
    }


def test_the_summary_counts_the_pages_of_each_model(cli, empty_vault):
    cli.server.script(HttpError(404, "The model `gpt-6-luna` does not exist"), topic="Logic")

    result = new(cli, empty_vault, "--concurrency", "1")

    (totals,) = [line for line in result.stderr.splitlines() if line.startswith("5 written")]
    assert f"by model: 2 {FIRST}, 3 {SECOND}" in totals


def test_a_run_of_one_model_shows_no_count_by_model(cli, empty_vault):
    result = cli.run("new", *TOPICS[:2], "--vault", str(empty_vault), "--plain")

    assert result.exit_code == 0, result.stderr
    assert "by model" not in result.stderr


def test_a_reply_a_later_model_wrote_serves_the_next_run_from_the_cache(cli, empty_vault):
    cli.server.configure(missing_models={"gpt-6-luna"})
    cli.run("new", "Logic", "-o", "-", "--vault", str(empty_vault), TOPICGEN_MODEL=CHAIN)
    cli.server.reset_stats()

    result = cli.run("new", "Logic", "--vault", str(empty_vault), "--plain", TOPICGEN_MODEL=CHAIN)

    assert result.exit_code == 0, result.stderr
    assert cli.server.stats().requests == 0  # not even the first model is asked
    assert "from the reply cache" in result.stderr
    assert recorded_model(empty_vault / "topics" / "logic.md") == SECOND


def test_a_page_written_by_a_later_model_is_stale_when_the_config_asks(cli, empty_vault):
    cli.server.configure(missing_models={"gpt-6-luna"})
    new(cli, empty_vault, "--concurrency", "1")
    (empty_vault / "topicgen.toml").write_text("stale_on_model_change = true\n", encoding="utf-8")

    result = cli.run("stale", "--vault", str(empty_vault), "--json", TOPICGEN_MODEL=CHAIN)

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5 and {row["status"] for row in rows} == {"stale"}
    assert rows[0]["reasons"] == [f"made by {SECOND}, the fallback chain's first model is {FIRST}"]


# --- what moves down the chain, and what does not -------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault.SCHEMA_VIOLATION, Fault.INVALID_JSON, Fault.TRUNCATED, Fault.REFUSAL],
    ids=["schema-violation", "invalid-json", "truncated", "refusal"],
)
def test_an_unusable_reply_is_asked_again_of_the_same_model(cli, empty_vault, fault):
    cli.server.script(fault, topic="Logic")

    result = new(cli, empty_vault)

    assert result.exit_code == 0, result.stderr
    assert requests_by_model(cli.server) == {"gpt-6-luna": 6}  # five pages and one re-ask
    assert not switch_lines(result.stderr)


def test_a_page_that_stays_unusable_fails_without_asking_the_next_model(cli, empty_vault):
    cli.server.script(*[Fault.INVALID_JSON] * 3, topic="Logic")

    result = new(cli, empty_vault, TOPICGEN_REASKS="2")

    assert result.exit_code == 1
    assert "failed Logic: the reply is not valid JSON (gave up after 3 attempts)" in result.stderr
    assert set(requests_by_model(cli.server)) == {"gpt-6-luna"}
    assert len(pages_in(empty_vault)) == 4


def test_a_provider_still_overloaded_after_the_retries_moves_the_run_on(cli, empty_vault):
    cli.server.script(Fault.OVERLOADED, Fault.OVERLOADED)

    result = cli.run("new", "Logic", "--vault", str(empty_vault), TOPICGEN_MODEL=CHAIN, TOPICGEN_RETRIES="2")

    assert result.exit_code == 0, result.stderr
    assert requests_by_model(cli.server) == {"gpt-6-luna": 2, "claude-haiku-5-5": 1}
    (line,) = switch_lines(result.stderr)
    assert "HTTP 529" in line


def test_a_spent_quota_moves_the_run_on(cli, empty_vault):
    cli.server.script(HttpError(429, "You exceeded your current quota, please check your plan."))

    result = new(cli, empty_vault, "--concurrency", "1")

    assert result.exit_code == 0, result.stderr
    assert requests_by_model(cli.server) == {"gpt-6-luna": 1, "claude-haiku-5-5": 5}
    assert "quota" in switch_lines(result.stderr)[0]


def test_a_refused_request_fails_its_page_and_keeps_the_model(cli, empty_vault):
    cli.server.script(HttpError(400, "this request is not allowed"), topic="Logic")

    result = new(cli, empty_vault, "--concurrency", "1")

    assert result.exit_code == 1
    assert set(requests_by_model(cli.server)) == {"gpt-6-luna"}
    assert not switch_lines(result.stderr)


def test_a_run_whose_every_model_is_unavailable_stops_as_a_single_model_does(cli, empty_vault):
    cli.server.configure(missing_models={"gpt-6-luna", "claude-haiku-5-5"})

    result = new(cli, empty_vault, "--concurrency", "1")

    assert result.exit_code == 1
    assert requests_by_model(cli.server) == {"gpt-6-luna": 1, "claude-haiku-5-5": 1}
    assert len(switch_lines(result.stderr)) == 1
    assert any(line.startswith("5 failed in ") for line in result.stderr.splitlines())
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: anthropic: HTTP 404: model: claude-haiku-5-5")
    assert pages_in(empty_vault) == []


def test_the_last_model_overloaded_fails_only_its_page_as_a_single_model_does(cli, empty_vault):
    cli.server.configure(missing_models={"gpt-6-luna"})
    cli.server.script(Fault.OVERLOADED, Fault.OVERLOADED, topic="Logic")

    result = new(cli, empty_vault, "--concurrency", "1", TOPICGEN_RETRIES="2")

    assert result.exit_code == 1
    assert "failed Logic: anthropic: HTTP 529" in result.stderr
    assert len(pages_in(empty_vault)) == 4
    assert "error:" not in result.stderr


# --- up front: every model of the chain is checked before a call ---------------------------------


def test_a_retired_model_anywhere_in_the_chain_is_refused_before_any_call(cli, empty_vault):
    chain = f"{FIRST},anthropic:claude-sonnet-4-5"

    result = cli.run("new", "Logic", "--vault", str(empty_vault), TOPICGEN_MODEL=chain)

    assert result.exit_code == 2
    assert result.stderr.startswith("error: anthropic:claude-sonnet-4-5 was retired on 2026-11-30")
    assert cli.server.stats().requests == 0


def test_a_later_model_without_its_key_is_a_usage_error_before_any_call(cli, empty_vault):
    result = cli.run("new", "Logic", "--vault", str(empty_vault), TOPICGEN_MODEL=CHAIN, ANTHROPIC_API_KEY="")

    assert result.exit_code == 2
    assert "ANTHROPIC_API_KEY is not set" in result.stderr
    assert cli.server.stats().requests == 0


def test_a_dry_run_names_the_chain_and_prices_the_first_model(cli, empty_vault):
    result = cli.run("new", "Logic", "--dry-run", "--vault", str(empty_vault), TOPICGEN_MODEL=CHAIN)

    assert result.exit_code == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"--- 1 topic(s) with {FIRST}, then {SECOND}, 1 to ask for: about ")
    assert last.endswith(f"at {FIRST}'s price; no call made")


# --- batch runs: one model, the chain's first with a batch API ------------------------------------


def test_a_batch_run_goes_to_the_first_model_of_the_chain_with_a_batch_api(cli, empty_vault):
    cli.server.configure(batch_delay=0.0)
    chain = f"ollama:llama3.1,{SECOND}"

    result = cli.run(
        "new",
        *TOPICS[:2],
        "--batch",
        "--vault",
        str(empty_vault),
        "--plain",
        TOPICGEN_MODEL=chain,
        TOPICGEN_BATCH_POLL="0.05",
    )

    assert result.exit_code == 0, result.stderr
    assert f"--batch: the batches go to {SECOND}, the chain's first model with a batch API" in result.stderr
    pages = [page for page in (empty_vault / "topics").glob("*.md") if page.stem != "index"]
    assert {recorded_model(page) for page in pages} == {SECOND}
    assert {record.provider for record in cli.server.requests} <= {"anthropic"}


def test_batch_collect_finishes_a_chain_run_with_the_model_its_batches_went_to(cli, empty_vault):
    chain = f"ollama:llama3.1,{SECOND}"
    vault = str(empty_vault)
    submitted = cli.run("new", "Logic", "--batch", "--no-wait", "--vault", vault, TOPICGEN_MODEL=chain)
    assert submitted.exit_code == 0, submitted.stderr

    result = cli.run("batch", "collect", "--vault", vault, TOPICGEN_MODEL=chain, TOPICGEN_BATCH_POLL="0.05")

    assert result.exit_code == 0, result.stderr
    assert recorded_model(empty_vault / "topics" / "logic.md") == SECOND


# --- settings: where a chain comes from ------------------------------------------------------------


def test_a_list_in_topicgen_toml_is_a_chain(tmp_path):
    (tmp_path / "topicgen.toml").write_text(f'model = ["{FIRST}", "{SECOND}"]\n', encoding="utf-8")

    settings = load_settings(tmp_path, environ={})

    assert settings.models == (FIRST, SECOND)
    assert settings.model == FIRST


def test_topicgen_model_takes_a_comma_separated_chain(tmp_path):
    settings = load_settings(tmp_path, environ={"TOPICGEN_MODEL": f" {FIRST} , {SECOND} "})

    assert settings.models == (FIRST, SECOND)


def test_one_spec_is_a_chain_of_one_shown_as_it_was_given(tmp_path):
    settings = load_settings(tmp_path, environ={"TOPICGEN_MODEL": SECOND})

    assert settings.models == (SECOND,)
    assert settings.model_dump(mode="json")["model"] == SECOND


def test_a_copy_of_the_settings_takes_a_model_as_the_setting_is_written(tmp_path):
    settings = load_settings(tmp_path, environ={"TOPICGEN_MODEL": CHAIN})

    assert settings.model_copy(update={"model": SECOND}).models == (SECOND,)
    assert settings.model_copy(update={"model": f"{SECOND},{FIRST}"}).models == (SECOND, FIRST)


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("model = []\n", "model: must name a model"),
        (f'model = ["{FIRST}", "gpt-5"]\n', "model: 'gpt-5' must look like provider:model"),
        (f'model = ["{FIRST}", "{FIRST}"]\n', f"model: {FIRST} is in the fallback chain twice"),
        ("model = 3\n", "model: must be a model spec, or a list of them for a fallback chain"),
    ],
)
def test_a_bad_chain_is_one_line_naming_the_setting(tmp_path, toml, words):
    (tmp_path / "topicgen.toml").write_text(toml, encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})

    assert words in str(caught.value)


def test_model_given_more_than_once_on_the_command_line_is_a_chain(cli, empty_vault):
    result = cli.run("config", "--vault", str(empty_vault), "--json", "-m", FIRST, "--model", SECOND)

    rows = {row["setting"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["model"] == {"setting": "model", "value": [FIRST, SECOND], "from": "flag --model"}


def test_topicgen_config_shows_the_chain_as_topicgen_toml_writes_it(cli, empty_vault):
    (empty_vault / "topicgen.toml").write_text(f'model = ["{FIRST}", "{SECOND}"]\n', encoding="utf-8")

    result = cli.run("config", "--vault", str(empty_vault), TOPICGEN_MODEL="")

    (line,) = [line for line in result.stdout.splitlines() if line.startswith("model ")]
    assert line.split(" = ", 1)[1] == f'["{FIRST}", "{SECOND}"]  # file {empty_vault / "topicgen.toml"}'


# --- prices: the summary and the budget ------------------------------------------------------------


def test_the_summary_prices_each_page_at_the_model_that_wrote_it(tmp_path):
    toml = (
        f'[prices."{FIRST}"]\ninput = 1.0\noutput = 2.0\n[prices."{SECOND}"]\ninput = 10.0\noutput = 20.0\n'
    )
    (tmp_path / "topicgen.toml").write_text(toml, encoding="utf-8")
    settings = load_settings(tmp_path, environ={"TOPICGEN_MODEL": CHAIN})
    used = Usage(1_000_000, 1_000_000)
    outcomes = [
        Outcome("A", Status.WRITTEN, usage=used, model=FIRST),
        Outcome("B", Status.WRITTEN, usage=used, model=SECOND),
        Outcome("C", Status.FAILED, usage=used),  # no page: at the first model's price
    ]

    price = summary_price(settings, outcomes, batch=False, live=Usage())

    assert price is not None
    assert price.cost(used + used + used) == pytest.approx((1 + 2) + (10 + 20) + (1 + 2))


def test_the_budget_holds_a_chain_at_the_dearest_of_its_prices(tmp_path):
    settings = load_settings(tmp_path, environ={"TOPICGEN_MODEL": f"{FIRST},anthropic:claude-sonnet-5-5"})
    used = Usage(4_000, 3_000)

    price = budget_price(settings)

    assert price is not None
    assert price.cost(used) == price_for("anthropic:claude-sonnet-5-5").cost(used)  # type: ignore[union-attr]
    assert price.cost(used) > price_for(FIRST).cost(used)  # type: ignore[union-attr]


def test_a_budget_needs_a_price_for_every_model_of_the_chain(tmp_path):
    settings = load_settings(
        tmp_path, environ={"TOPICGEN_MODEL": f"{FIRST},openai-compatible:mystery", "TOPICGEN_MAX_COST": "1"}
    )

    with pytest.raises(UsageError, match=r"--max-cost needs a price for openai-compatible:mystery"):
        budget_price(settings)


# --- FallbackClient itself --------------------------------------------------------------------------


def reply_from(spec: str) -> ModelReply:
    return ModelReply("{}", Finish.STOP, spec.partition(":")[2], Usage(10, 5))


async def test_a_reply_names_the_model_of_the_chain_that_wrote_it():
    def missing(request: ModelRequest) -> ModelReply:
        raise ModelNotFound("no such model")

    chain = FallbackClient(
        [FunctionClient(missing, FIRST), FunctionClient(lambda r: reply_from(SECOND), SECOND)]
    )

    reply = await chain.complete(REQUEST)

    assert (reply.spec, reply.model) == (SECOND, "claude-haiku-5-5")
    assert chain.spec == SECOND and chain.specs == (FIRST, SECOND)
    assert [str(switch) for switch in chain.switches] == [f"{FIRST} {SWITCH} {SECOND}: no such model"]


async def test_a_retry_in_flight_is_not_sent_once_the_chain_has_moved_past_its_model():
    first_asked: list[str] = []

    async def first(request: ModelRequest) -> ModelReply:
        topic = request.messages[-1].content
        first_asked.append(topic)
        if topic == "Gone":
            raise ModelNotFound("no such model")
        raise ProviderUnavailable("overloaded")  # would be retried five more times

    async def no_wait(seconds: float) -> None:
        await asyncio.sleep(0)

    retrying = RetryingClient(FunctionClient(first, FIRST), attempts=6, sleep=no_wait)
    heard: list[Switch] = []
    chain = FallbackClient(
        [retrying, FunctionClient(lambda r: reply_from(SECOND), SECOND)], on_switch=heard.append
    )
    busy = ModelRequest((Message("user", "Busy"),), {"type": "object"})
    gone = ModelRequest((Message("user", "Gone"),), {"type": "object"})

    replies = await asyncio.gather(chain.complete(busy), chain.complete(gone))

    assert [reply.spec for reply in replies] == [SECOND, SECOND]
    assert first_asked == ["Busy", "Gone"]  # the busy call's retry was never sent
    assert len(heard) == 1
