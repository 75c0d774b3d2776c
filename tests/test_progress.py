"""What a run says on stderr: plain lines without a terminal, a live display on one (issues 10.3, 13.11).

Tests run topicgen in-process (stderr is not a terminal, so the plain display
is chosen) or, for the terminal display, as a process whose stderr is a
pseudo-terminal.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES, REPO, TopicgenCli

from topicgen.model.clients.base import Usage
from topicgen.runs.engine import RunReport
from topicgen.runs.progress import LINE_WIDTH, clip, fit, listed, page_line, plain_width, totals
from topicgen.runs.workshop import Outcome, Status
from topicgen.testing import Fault, HttpError

ADOPT_PAGES = 35
COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m")  # an SGR sequence that sets a foreground colour


def lines(text: str) -> list[str]:
    return text.splitlines()


# --- the lines themselves --------------------------------------------------------------------------


def test_a_written_page_is_one_line_with_its_path_time_and_output_tokens(tmp_path: Path) -> None:
    outcome = Outcome("Rust", Status.WRITTEN, tmp_path / "topics" / "rust.md", usage=Usage(4_000, 2_140))
    assert page_line(outcome, tmp_path, 3.24) == "written topics/rust.md 3.2 s 2,140 out"


def test_a_failed_page_line_carries_its_reason() -> None:
    outcome = Outcome("Rust", Status.FAILED, None, "openai: HTTP 400: bad request")
    assert page_line(outcome, None) == "failed Rust: openai: HTTP 400: bad request"


def test_a_failure_names_paths_inside_the_vault_relative_to_it(tmp_path: Path) -> None:
    outcome = Outcome("Rust", Status.FAILED, None, f"{tmp_path}/topics/rust.md is a symbolic link")
    assert page_line(outcome, tmp_path) == "failed Rust: topics/rust.md is a symbolic link"


def test_kept_edits_drift_and_warnings_follow_the_page_after_a_colon(tmp_path: Path) -> None:
    outcome = Outcome(
        "Rust",
        Status.WRITTEN,
        tmp_path / "topics" / "rust.md",
        kept=("jokes",),
        notes=("joke: bold-label: **Pun:** unbolded",),
        warnings=("left out preamble (line 3)",),
    )
    assert page_line(outcome, tmp_path) == (
        "written topics/rust.md: kept edited jokes; bold-label; left out preamble (line 3)"
    )


def test_a_page_with_only_accepted_drift_is_counted_not_listed() -> None:
    drifted = Outcome("Rust", Status.WRITTEN, notes=("joke: bold-label: **Pun:** unbolded",))
    assert not listed(drifted, verbose=False)
    assert listed(replace(drifted, reasked=("joke",)), verbose=False)


def test_plain_lines_are_as_wide_as_columns_says_else_100(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    assert plain_width() == 160
    monkeypatch.delenv("COLUMNS")
    assert plain_width() == LINE_WIDTH == 100


def test_a_long_line_is_cut_at_a_word_with_an_ellipsis() -> None:
    cut = clip("failed Rust: " + "word " * 40)
    assert len(cut) <= LINE_WIDTH and cut.endswith("word…")


def test_the_totals_are_broken_between_parts_never_inside_one() -> None:
    parts = ["a" * 60, "b" * 30, "c" * 30, "d" * 120]
    assert fit(parts) == ["a" * 60 + "; " + "b" * 30 + ";", "c" * 30 + ";", "d" * 120]


def test_the_totals_count_each_kind_of_outcome() -> None:
    report = RunReport(
        results=[
            ("a", Outcome("a", Status.WRITTEN, usage=Usage(10, 20, 5))),
            ("b", Outcome("b", Status.EXISTS)),
            ("c", Outcome("c", Status.FAILED, detail="why")),
        ],
        elapsed=1.25,
    )
    assert totals(report) == ["1 written, 1 exists, 1 failed in 1.2s", "tokens: 10 in, 20 out, 5 cached"]


# --- without a terminal ----------------------------------------------------------------------------


def test_without_a_terminal_each_page_gets_a_line_as_it_finishes(cli: TopicgenCli, empty_vault: Path) -> None:
    result = cli.run("new", "Graph Theory", "Set Theory", "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    *pages, total = lines(result.stderr)
    assert sorted(page.split(" ")[:2] for page in pages) == [
        ["written", "topics/graph-theory.md"],
        ["written", "topics/set-theory.md"],
    ]
    assert all(re.fullmatch(r"written \S+ \d+\.\d s [\d,]+ out", page) for page in pages)
    assert total.startswith("2 written in ")


def test_the_summary_names_only_the_pages_that_are_not_plainly_fine(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    cli.server.script(HttpError(400, "this request is not allowed"), topic="Set Theory")

    result = cli.run("new", "Graph Theory", "Set Theory", "Logic", "--vault", str(empty_vault))

    assert result.exit_code == 1
    summary = lines(result.stderr)[3:]
    assert summary[0] == "failed Set Theory: openai: HTTP 400: this request is not allowed"
    assert summary[1].startswith("2 written, 1 failed in ")
    assert len(summary) == 2


def test_a_failure_reason_is_on_the_same_line_as_the_topic(cli: TopicgenCli, empty_vault: Path) -> None:
    cli.server.script(HttpError(400, "this request is not allowed"))

    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault))

    assert result.exit_code == 1
    (failed,) = [line for line in lines(result.stderr) if line.startswith("failed")]
    assert failed == "failed Graph Theory: openai: HTTP 400: this request is not allowed"


def test_an_error_that_stops_the_run_prints_once_whole_at_the_end_and_each_page_points_at_it(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    cli.server.configure(api_key="the-right-key")

    result = cli.run("new", "Graph Theory", "Set Theory", "--vault", str(empty_vault), COLUMNS="")

    assert result.exit_code == 1
    shown = lines(result.stderr)
    assert [line for line in shown if "Incorrect API key" in line] == [shown[-1]]
    assert shown[-1].startswith("error: openai: HTTP 401: Incorrect API key provided: [redacted].")
    assert sorted(line for line in shown if line.startswith("failed")) == [
        "failed Graph Theory: the error below",
        "failed Set Theory: the error below",
    ]


def test_pages_failing_the_same_way_name_the_first_rather_than_repeat_its_reason(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    cli.server.script(HttpError(400, "not allowed"), topic="Graph Theory")
    cli.server.script(HttpError(400, "not allowed"), topic="Set Theory")

    result = cli.run("new", "Graph Theory", "Set Theory", "--concurrency", "1", "--vault", str(empty_vault))

    assert result.exit_code == 1
    failed = [line for line in lines(result.stderr) if line.startswith("failed")]
    assert failed[:2] == [
        "failed Graph Theory: openai: HTTP 400: not allowed",
        "failed Set Theory: the same error as Graph Theory",
    ]


def test_a_retry_is_reported_as_it_happens(cli: TopicgenCli, empty_vault: Path) -> None:
    cli.server.configure(fault_retry_after=0.05)
    cli.server.script(Fault.RATE_LIMIT)

    result = cli.run("new", "Graph Theory", "--vault", str(empty_vault))

    assert result.exit_code == 0, result.stderr
    retry, written, _ = lines(result.stderr)
    assert re.fullmatch(r"Graph Theory: 429, retrying in \d\.\d s \(2/6\)", retry)
    assert written.startswith("written topics/graph-theory.md")


@pytest.fixture
def adopt_vault(tmp_path: Path) -> Path:
    """A vault of 35 pages of every shape the fixtures hold: adoptable, left alone and refused."""
    shapes = sorted(
        path
        for folder in (
            FIXTURES / "variants",
            CORPUS / "variants",
            CORPUS / "vault" / "topics",
            CORPUS / "real",
        )
        if folder.is_dir()
        for path in folder.glob("*.md")
        if path.name != "README.md"
    )
    topics = tmp_path / "vault" / "topics"
    topics.mkdir(parents=True)
    for n in range(ADOPT_PAGES):
        shape = shapes[n % len(shapes)]
        shutil.copyfile(shape, topics / f"{shape.stem}-{n:02d}.md")
    return tmp_path / "vault"


def test_a_35_page_adopt_run_prints_no_line_over_100_characters(cli: TopicgenCli, adopt_vault: Path) -> None:
    result = cli.run("adopt", "--all", "--dry-run", "--vault", str(adopt_vault), COLUMNS="")

    assert result.exit_code == 1  # some pages would lose text: they are refused
    assert max(len(line) for line in lines(result.stderr)) <= LINE_WIDTH
    assert len(lines(result.stderr)) < 2 * ADOPT_PAGES


def test_a_refused_page_has_its_reason_on_its_own_line(cli: TopicgenCli, adopt_vault: Path) -> None:
    result = cli.run("adopt", "--all", "--dry-run", "--vault", str(adopt_vault), COLUMNS="")

    refused = [path.name for path in (adopt_vault / "topics").glob("malformed-frontmatter-*.md")]
    assert refused
    for name in refused:
        (line, *_) = [line for line in lines(result.stderr) if name in line]
        assert line.startswith(f"failed {name}: left untouched: line 7: malformed-frontmatter")


def test_left_alone_pages_are_counted_not_listed(cli: TopicgenCli, adopt_vault: Path) -> None:
    alone = sorted(path.name for path in (adopt_vault / "topics").glob("no-summary-*.md"))

    result = cli.run("adopt", "--all", "--dry-run", "--vault", str(adopt_vault))

    assert alone
    assert not [line for line in lines(result.stderr) if any(name in line for name in alone)]
    assert re.search(r"\b\d+ unchanged\b", result.stderr)


def test_verbose_lists_left_alone_pages_with_lines_whole(cli: TopicgenCli, adopt_vault: Path) -> None:
    alone = sorted(path.name for path in (adopt_vault / "topics").glob("no-summary-*.md"))

    result = cli.run("adopt", "--all", "--dry-run", "--verbose", "--vault", str(adopt_vault))

    for name in alone:
        assert f"unchanged topics/{name}" in result.stderr
    assert "…" not in result.stderr


# --- on a terminal ---------------------------------------------------------------------------------


def on_a_terminal(cli: TopicgenCli, *args: str, **env: str) -> tuple[int, str]:
    """Run ``topicgen ARGS`` as a process whose stderr is a terminal; (exit code, what it showed)."""
    environment = {**os.environ, **cli.env(), "TERM": "xterm-256color", **env}
    environment = {key: value for key, value in environment.items() if value is not None and value != "-"}
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "topicgen", *args],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        cwd=REPO,
    )
    os.close(follower)
    shown = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the process closed its end
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    return process.wait(timeout=10), shown.decode("utf-8", "replace")


def test_on_a_terminal_one_topic_shows_a_spinner_with_the_topic_and_model(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    cli.server.configure(latency=0.5)

    code, shown = on_a_terminal(cli, "new", "Graph Theory", "--vault", str(empty_vault))

    assert code == 0
    assert "drafting Graph Theory with openai:fake-model" in shown
    assert re.search(r"0:00:0\d", shown)  # the elapsed time


def test_plain_gives_plain_lines_even_on_a_terminal(cli: TopicgenCli, empty_vault: Path) -> None:
    code, shown = on_a_terminal(
        cli, "new", "Graph Theory", "--plain", "--vault", str(empty_vault), NO_COLOR="-"
    )

    assert code == 0
    assert "\x1b" not in shown
    assert shown.splitlines()[0].startswith("written topics/graph-theory.md")


def test_colour_is_left_out_on_a_terminal_when_no_color_is_set(cli: TopicgenCli, empty_vault: Path) -> None:
    cli.server.configure(latency=0.3)
    cli.server.script(HttpError(400, "not allowed"), HttpError(400, "not allowed"), topic="Set Theory")
    args = ("new", "Graph Theory", "Set Theory", "--vault")
    (empty_vault / "a").mkdir()
    (empty_vault / "b").mkdir()

    _, coloured = on_a_terminal(cli, *args, str(empty_vault / "a"), NO_COLOR="-")
    _, plain = on_a_terminal(cli, *args, str(empty_vault / "b"), NO_COLOR="1")

    assert COLOUR.search(coloured)
    assert not COLOUR.search(plain)
    assert "failed Set Theory: openai: HTTP 400: not allowed" in plain


def test_on_a_terminal_one_failed_page_shows_its_reason_once(cli: TopicgenCli, empty_vault: Path) -> None:
    cli.server.script(HttpError(400, "this request is not allowed"))

    code, shown = on_a_terminal(cli, "new", "Graph Theory", "--vault", str(empty_vault), NO_COLOR="1")

    assert code == 1
    assert shown.count("this request is not allowed") == 1


# --- Ctrl-C ----------------------------------------------------------------------------------------


def test_ctrl_c_at_concurrency_2_says_2_pages_in_flight_not_the_4_the_run_holds(
    cli: TopicgenCli, empty_vault: Path
) -> None:
    cli.server.configure(latency=2.0)
    topics = ["A", "B", "C", "D", "E", "F"]
    command = [sys.executable, "-m", "topicgen", "new", *topics, "--concurrency", "2"]
    process = subprocess.Popen(
        [*command, "--vault", str(empty_vault)],
        env={**os.environ, **cli.env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while cli.server.stats().requests < 2:
        assert process.poll() is None and time.monotonic() < deadline, "no request went out"
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)

    assert process.returncode == 130
    assert cli.server.stats().max_in_flight == 2
    assert "stopping: no new page starts; 2 page(s) in flight are abandoned; the next run asks again" in err
    assert "replies already received are written and cached; press Ctrl-C again to quit now" in err
    assert "interrupted: 6 topics left: A, B, C, D, E, F" in err
