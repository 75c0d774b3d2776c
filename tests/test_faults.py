"""Every provider fault ends in one of three outcomes, and never in a damaged vault.

Each test runs the real ``topicgen`` command (in-process) against the fake
provider with a fault scripted, and checks the outcome:

- transient faults (429, 500, 503, 529, a dropped connection, a stall past the
  timeout) are retried and the page is written;
- unusable replies (invalid JSON, schema-violating JSON, a truncated reply, a
  refusal) are re-asked and the page is written;
- when retries or re-asks run out, or the fault is permanent, the topic is
  reported as failed with one line and the exit code is 1.

In every case: no temporary or partial file is left, no page that existed
before is changed unless it was written whole, and the API key appears in no
output and no file of the vault.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import CORPUS, TopicgenCli, assert_valid_page

from topicgen.testing import Fault, HttpError

PROVIDERS = ("openai", "anthropic")
TRANSIENT = (
    Fault.RATE_LIMIT,
    Fault.SERVER_ERROR,
    Fault.UNAVAILABLE,
    Fault.OVERLOADED,
    Fault.DROP,
    Fault.STALL,
)
UNUSABLE = (Fault.INVALID_JSON, Fault.SCHEMA_VIOLATION, Fault.TRUNCATED, Fault.REFUSAL)
REFERENCE_PAGE = CORPUS / "vault" / "topics" / "large-language-models.md"
TOPIC = "Graph Theory"
SLUG = "graph-theory"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A vault holding one hand-made page that no run may touch."""
    root = tmp_path / "vault"
    (root / "topics").mkdir(parents=True)
    (root / "topics" / "hand-written.md").write_text("# My own note\n\nNot topicgen's.\n", encoding="utf-8")
    return root


@pytest.fixture
def cli(topicgen_cli: TopicgenCli) -> TopicgenCli:
    topicgen_cli.server.configure(fault_retry_after=0.05, stall_seconds=30)
    return topicgen_cli


def new(cli: TopicgenCli, vault: Path, *topics: str, provider: str = "openai", flags=(), **env: str):
    return cli.run("new", *topics, "--vault", str(vault), *flags, provider=provider, **env)


def failed_line(stderr: str, topic: str) -> str:
    """The summary row that reports ``topic`` as failed."""
    rows = [line for line in stderr.splitlines() if topic in line and "failed" in line]
    assert rows, f"{topic!r} is not reported as failed:\n{stderr}"
    return rows[0]


# --- retried and written --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", TRANSIENT, ids=str)
def test_transient_fault_is_retried_and_the_page_written(
    cli: TopicgenCli, vault: Path, provider: str, fault: Fault
) -> None:
    times = 1 if fault is Fault.STALL else 2  # a timed-out reply may be billed: retried once only
    cli.server.script(*[fault] * times)
    before = cli.snapshot(vault)

    result = new(cli, vault, TOPIC, provider=provider, TOPICGEN_TIMEOUT="0.5")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / f"{SLUG}.md", TOPIC)
    stats = cli.server.stats()
    assert stats.count(fault) == times
    assert stats.count("ok") == 1
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


# --- re-asked and written -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", UNUSABLE, ids=str)
def test_unusable_reply_is_re_asked_with_the_problem_and_the_page_written(
    cli: TopicgenCli, vault: Path, provider: str, fault: Fault
) -> None:
    cli.server.script(fault)
    before = cli.snapshot(vault)

    result = new(cli, vault, TOPIC, provider=provider)

    assert result.exit_code == 0, result.stderr
    assert_valid_page(vault / "topics" / f"{SLUG}.md", TOPIC)
    first, second = cli.server.requests
    assert first.outcome == fault.value and second.outcome == "ok"
    reask = second.body["messages"][-1]
    assert reask["role"] == "user" and "could not be used" in str(reask["content"])
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


# --- reported as failed ---------------------------------------------------------------------------


@pytest.fixture
def existing(vault: Path, draft_into) -> Path:
    """A page topicgen wrote, with a key of the person's own, as the page a --force run would replace."""
    page = draft_into(vault)
    page.write_text(page.read_text(encoding="utf-8").replace("---\n", "---\ncssclass: wide\n", 1))
    return page


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", TRANSIENT, ids=str)
def test_transient_fault_that_outlasts_the_retries_fails_the_topic_and_keeps_the_old_page(
    cli: TopicgenCli, vault: Path, existing: Path, provider: str, fault: Fault
) -> None:
    cli.server.script(fault, fault, fault)
    before = cli.snapshot(vault)

    result = new(
        cli,
        vault,
        "Large Language Models",
        provider=provider,
        flags=("--force",),
        TOPICGEN_RETRIES="3",
        TOPICGEN_TIMEOUT="0.5",
    )

    assert result.exit_code == 1
    assert failed_line(result.stderr, "Large Language Models")
    assert cli.server.stats().requests == (2 if fault is Fault.STALL else 3)
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.INVALID_JSON, "not valid JSON"),
        (Fault.SCHEMA_VIOLATION, "does not match the schema"),
        (Fault.TRUNCATED, "cut off"),
        (Fault.REFUSAL, "refused"),
    ],
    ids=str,
)
def test_unusable_replies_past_the_re_asks_fail_the_topic_with_the_reason(
    cli: TopicgenCli, vault: Path, existing: Path, provider: str, fault: Fault, reason: str
) -> None:
    cli.server.script(fault, fault)
    before = cli.snapshot(vault)

    result = new(
        cli, vault, "Large Language Models", provider=provider, flags=("--force",), TOPICGEN_REASKS="1"
    )

    assert result.exit_code == 1
    assert reason in failed_line(result.stderr, "Large Language Models")
    assert cli.server.stats().requests == 2
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_permanent_error_fails_the_topic_at_once(cli: TopicgenCli, vault: Path, provider: str) -> None:
    cli.server.script(HttpError(400, "this model does not exist"))
    before = cli.snapshot(vault)

    result = new(cli, vault, TOPIC, provider=provider)

    assert result.exit_code == 1
    assert "this model does not exist" in failed_line(result.stderr, TOPIC)
    assert cli.server.stats().requests == 1
    assert not (vault / "topics" / f"{SLUG}.md").exists()
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_rejected_key_that_the_provider_echoes_is_redacted(
    cli: TopicgenCli, vault: Path, provider: str
) -> None:
    cli.server.configure(api_key="the-right-key")
    before = cli.snapshot(vault)

    result = new(cli, vault, TOPIC, provider=provider)

    assert result.exit_code == 1
    assert failed_line(result.stderr, TOPIC).endswith(": the error below")
    assert "HTTP 401" in result.stderr.splitlines()[-1]
    assert cli.server.requests[0].outcome == "unauthorized"
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


def test_one_failing_topic_does_not_stop_the_others(cli: TopicgenCli, vault: Path) -> None:
    cli.server.script(Fault.SERVER_ERROR, Fault.SERVER_ERROR, topic="Set Theory")
    before = cli.snapshot(vault)

    result = new(cli, vault, "Graph Theory", "Set Theory", "Knot Theory", TOPICGEN_RETRIES="2")

    assert result.exit_code == 1
    assert "HTTP 500" in failed_line(result.stderr, "Set Theory")
    assert_valid_page(vault / "topics" / "graph-theory.md", "Graph Theory")
    assert_valid_page(vault / "topics" / "knot-theory.md", "Knot Theory")
    assert not (vault / "topics" / "set-theory.md").exists()
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


# --- rate limits ----------------------------------------------------------------------------------


def test_after_a_429_the_request_pace_recovers_with_an_rpm_budget_alone() -> None:
    """A 429 slows every caller down; successes must bring the pace back even with no --tpm."""
    from topicgen.model.clients.ratelimit import RateLimiter

    limiter = RateLimiter(rpm=600, clock=lambda: 0.0)
    limiter.pause(0.1)
    assert limiter.pace < 1.0

    for _ in range(20):
        limiter.settle(estimated=1_000, actual=1_000)

    assert limiter.pace == 1.0


# --- many topics, random faults -------------------------------------------------------------------


def test_thirty_percent_random_faults_over_fifty_topics_end_written_or_listed_as_failed(
    cli: TopicgenCli, vault: Path, tmp_path: Path
) -> None:
    topics = [f"Fault Study {n:02d}" for n in range(50)]
    listing = tmp_path / "topics.txt"
    listing.write_text("\n".join(topics) + "\n", encoding="utf-8")
    cli.server.configure(fault_rate=0.3, seed=4, stall_seconds=5)
    before = cli.snapshot(vault)

    result = new(
        cli,
        vault,
        flags=("--from", str(listing), "--concurrency", "8"),
        TOPICGEN_RETRIES="3",
        TOPICGEN_REASKS="1",
        TOPICGEN_TIMEOUT="1",
    )

    written, failed = [], []
    for topic in topics:
        page = vault / "topics" / f"{topic.lower().replace(' ', '-')}.md"
        if page.exists():
            assert_valid_page(page, topic)
            written.append(topic)
        else:
            failed_line(result.stderr, topic)
            failed.append(topic)
    summary = re.search(r"(\d+) written(?:, (\d+) failed)?", result.stderr)
    assert summary and int(summary.group(1)) == len(written)
    assert int(summary.group(2) or 0) == len(failed)
    assert result.exit_code == (1 if failed else 0)
    stats = cli.server.stats()
    assert sum(count for outcome, count in stats.outcomes.items() if outcome != "ok") > 5  # faults happened
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)


# --- regeneration ---------------------------------------------------------------------------------


@pytest.fixture
def generated(cli: TopicgenCli, vault: Path) -> Path:
    """A page written by ``topicgen new``, ready to be regenerated."""
    assert new(cli, vault, TOPIC).exit_code == 0
    cli.server.reset_stats()
    return vault / "topics" / f"{SLUG}.md"


def regen_joke(cli: TopicgenCli, vault: Path, provider: str = "openai", **env: str):
    return cli.run("regen", TOPIC, "--sections", "joke", "--vault", str(vault), provider=provider, **env)


@pytest.mark.parametrize("fault", [Fault.RATE_LIMIT, Fault.OVERLOADED, Fault.DROP, Fault.STALL], ids=str)
def test_regen_retries_a_transient_fault_and_rewrites_the_section(
    cli: TopicgenCli, vault: Path, generated: Path, fault: Fault
) -> None:
    cli.server.script(fault)
    before = cli.snapshot(vault)

    result = regen_joke(cli, vault, TOPICGEN_TIMEOUT="0.5")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(generated, TOPIC)
    assert cli.server.stats().count("ok") == 1
    assert set(cli.server.requests[-1].body["response_format"]["json_schema"]["schema"]["properties"]) == {
        "joke"
    }
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr, changed=(f"topics/{SLUG}.md",))


@pytest.mark.parametrize("fault", UNUSABLE, ids=str)
def test_regen_re_asks_an_unusable_reply(
    cli: TopicgenCli, vault: Path, generated: Path, fault: Fault
) -> None:
    cli.server.script(fault)
    before = cli.snapshot(vault)

    result = regen_joke(cli, vault, provider="anthropic")

    assert result.exit_code == 0, result.stderr
    assert_valid_page(generated, TOPIC)
    assert [r.outcome for r in cli.server.requests] == [fault.value, "ok"]
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr, changed=(f"topics/{SLUG}.md",))


@pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.REFUSAL], ids=str)
def test_regen_that_runs_out_of_attempts_leaves_the_page_as_it_was(
    cli: TopicgenCli, vault: Path, generated: Path, fault: Fault
) -> None:
    cli.server.script(fault, fault)
    before = cli.snapshot(vault)

    result = regen_joke(cli, vault, TOPICGEN_RETRIES="2", TOPICGEN_REASKS="1")

    assert result.exit_code == 1
    assert failed_line(result.stderr, TOPIC)
    cli.assert_vault_clean(vault, before, result.stdout, result.stderr)
