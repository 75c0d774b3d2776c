"""Many-topic runs: one engine for `new` and `regen`, resumable, interruptible, reported."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FAKE_API_KEY, assert_valid_page

from topicgen.testing import Fault

TOPICS = [f"Topic Number {n}" for n in range(1, 13)]


def topic_file(tmp_path: Path, topics: list[str]) -> Path:
    path = tmp_path / "topics.txt"
    path.write_text("# topics to draft\n\n" + "\n".join(topics) + "\n", encoding="utf-8")
    return path


def pages(vault: Path) -> list[Path]:
    return sorted(p for p in (vault / "topics").glob("*.md") if p.name != "index.md")


def test_new_from_a_file_drafts_every_topic_concurrently(vault, tmp_path, topicgen_cli, fake_provider):
    fake_provider.configure(latency=0.05)
    listing = topic_file(tmp_path, TOPICS)
    result = topicgen_cli.run("new", "--from", str(listing), "--concurrency", "4", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert len(pages(vault)) == len(TOPICS)
    for topic, page in zip(sorted(TOPICS), pages(vault), strict=True):
        assert_valid_page(page, topic)
    assert fake_provider.stats().max_in_flight == 4
    assert f"{len(TOPICS)} written" in result.stderr


def test_every_run_keeps_the_topic_index_current(vault, tmp_path, topicgen_cli):
    topicgen_cli.run("new", "Graph Theory", "Kuramoto Model", "--vault", str(vault))
    index = (vault / "topics" / "index.md").read_text(encoding="utf-8")
    assert index.index("Graph Theory") < index.index("Kuramoto Model")
    assert "(./graph-theory.md)" in index


def test_a_second_run_of_the_same_command_pays_for_nothing(vault, tmp_path, topicgen_cli, fake_provider):
    listing = topic_file(tmp_path, TOPICS[:4])
    first = topicgen_cli.run("new", "--from", str(listing), "--vault", str(vault))
    assert first.exit_code == 0
    served = fake_provider.stats().requests
    again = topicgen_cli.run("new", "--from", str(listing), "--vault", str(vault))
    assert again.exit_code == 0
    assert "4 exists" in again.stderr
    assert fake_provider.stats().requests == served


def test_a_validated_reply_is_cached_before_its_page_is_written(vault, tmp_path, topicgen_cli, fake_provider):
    listing = topic_file(tmp_path, TOPICS[:3])
    topicgen_cli.run("new", "--from", str(listing), "--vault", str(vault))
    for page in pages(vault):
        page.unlink()  # as if the run had died between caching and writing
    served = fake_provider.stats().requests
    result = topicgen_cli.run("new", "--from", str(listing), "--vault", str(vault))
    assert result.exit_code == 0
    assert len(pages(vault)) == 3
    assert fake_provider.stats().requests == served
    assert "from the reply cache" in result.stderr


def test_the_cost_budget_stops_new_work(vault, tmp_path, topicgen_cli, fake_provider):
    (vault / "topicgen.toml").write_text(
        'site_url = "https://bagrounds.org"\n[prices."openai:fake-model"]\ninput = 1000.0\noutput = 1000.0\n'
    )
    listing = topic_file(tmp_path, TOPICS[:6])
    result = topicgen_cli.run(
        "new", "--from", str(listing), "--concurrency", "1", "--max-cost", "5", "--vault", str(vault)
    )
    assert result.exit_code == 0
    assert 0 < len(pages(vault)) < 6
    assert "cost budget reached" in result.stderr


def test_regen_uses_the_same_engine_and_reports_kept_sections(vault, topicgen_cli, fake_provider):
    topicgen_cli.run("new", "Graph Theory", "--vault", str(vault))
    page = vault / "topics" / "graph-theory.md"
    text = page.read_text(encoding="utf-8")
    start = text.index("### 😂 A Joke")
    joke_end = text.index("### 📖 Book Recommendations")
    edited = text[:start] + text[start:joke_end].replace("\n- 😂 ", "\n- 😂 (mine) ", 1) + text[joke_end:]
    page.write_text(edited, encoding="utf-8")
    result = topicgen_cli.run("regen", "Graph Theory", "--sections", "joke,books", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert "1 edited section(s) kept" in result.stderr
    assert "(mine)" in page.read_text(encoding="utf-8")
    last = fake_provider.requests[-1]
    properties = last.body["response_format"]["json_schema"]["schema"]["properties"]
    assert list(properties) == ["books"]


def test_a_failed_topic_is_listed_with_its_reason_and_exit_1(vault, topicgen_cli, fake_provider):
    fake_provider.script(*[Fault.SERVER_ERROR] * 20, topic="Doomed Topic")
    result = topicgen_cli.run("new", "Doomed Topic", "Fine Topic", "--vault", str(vault))
    assert result.exit_code == 1
    assert "HTTP 500" in result.stderr
    assert [p.name for p in pages(vault)] == ["fine-topic.md"]


def _spawn(topicgen_cli, vault: Path, listing: Path) -> subprocess.Popen:
    env = {**os.environ, **topicgen_cli.env()}
    command = [sys.executable, "-m", "topicgen", "new", "--from", str(listing), "--concurrency", "2"]
    return subprocess.Popen(
        [*command, "--vault", str(vault)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_pages(vault: Path, count: int, process: subprocess.Popen, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while len(pages(vault)) < count:
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)


def _cached_topics(vault: Path) -> int:
    folder = vault / ".topicgen" / "cache" / "replies"
    return len(list(folder.rglob("*.json"))) if folder.exists() else 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_run_resumes_without_paying_twice(vault, tmp_path, topicgen_cli, fake_provider, sig):
    fake_provider.configure(latency=0.25)
    listing = topic_file(tmp_path, TOPICS)
    process = _spawn(topicgen_cli, vault, listing)
    _wait_for_pages(vault, 3, process)
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert process.returncode == 130
        assert "interrupted:" in err and "left" in err
    if sig == signal.SIGINT:  # a clean stop leaves no temporary file; after kill -9 the next run sweeps them
        assert not [p for p in (vault / "topics").iterdir() if p.name.endswith(".tmp")]
    for page in pages(vault):  # whatever landed, landed whole
        assert_valid_page(
            page, page.read_text(encoding="utf-8").split("\n# ", 1)[1].split("  ")[0].split(" ", 1)[1]
        )
    done = {page.stem for page in pages(vault)}
    paid_before = fake_provider.stats().pages
    cached = _cached_topics(vault)
    result = topicgen_cli.run("new", "--from", str(listing), "--concurrency", "2", "--vault", str(vault))
    assert result.exit_code == 0, result.stderr
    assert len(pages(vault)) == len(TOPICS)
    assert not [p for p in (vault / "topics").iterdir() if p.name.endswith(".tmp")]
    assert f"{len(done)} exists" in result.stderr  # done, not errors
    paid_after = fake_provider.stats().pages
    repaid = [topic for topic, count in paid_after.items() if count > 1]
    # Only replies never stored may be paid again. Ctrl-C finishes every page whose reply is in hand,
    # so that is the requests in flight (--concurrency 2); kill -9 also loses replies that arrived
    # but were not yet validated and cached: at most the pages the run holds (twice --concurrency).
    assert len(repaid) <= (2 if sig == signal.SIGINT else 4)
    assert cached >= len(done)
    assert FAKE_API_KEY not in out + err + result.stdout + result.stderr
    assert paid_before  # the first run really did spend
