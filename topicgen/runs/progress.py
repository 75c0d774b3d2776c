"""What a run shows on stderr: live progress while it works, a summary when it ends.

``display_for`` picks one of two displays:

- ``TerminalDisplay`` when stderr is a terminal: a progress bar for several
  pages, or a spinner naming the model and the page for one; retries and
  failures are printed above it as they happen; the summary is a table.
- ``PlainDisplay`` without a terminal (CI logs, ``2>run.log``) or with
  ``--plain``: a line per finished page as it finishes (``written
  topics/rust.md 3.2 s 2,140 out``), then one line per page that is not plainly
  fine and the totals. No line is wrapped, and none is longer than
  ``LINE_WIDTH`` (or ``COLUMNS``, when set) unless ``--verbose`` asks for
  lines whole.

Both list the same pages (``listed``): failed ones and those a person should
look at (edits kept, sections re-asked, ``Outcome.warnings`` such as text left
out). Drift that was accepted and normalised is shown on a page's own line and
counted, but does not list a page. Pages left alone (already there, nothing to
do) are counted, not listed, unless verbose. Colour follows rich, which
honours ``NO_COLOR``; the plain display never writes colour.

To report something new about a page, add a short phrase to
``Outcome.warnings`` (or a field shown in ``remarks``); to report a new
run-wide figure, add a part in ``totals``.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from topicgen.model.clients.base import Usage
from topicgen.model.clients.retrying import RetryNotice
from topicgen.model.redact import redact
from topicgen.runs.engine import RunReport, current_item
from topicgen.runs.workshop import Outcome, Status

if TYPE_CHECKING:  # the summary's needs (prices, reference findings, rich) load when it is shown
    from rich.console import Console

    from topicgen.model.costs import Priced

LINE_WIDTH = 100
LEFT_ALONE = (Status.EXISTS, Status.UNCHANGED)
NAMES_SHOWN = 10
STOPPED = "the error below"  # a page failed by the error that stops the run, printed last
_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")
_STYLE = {
    Status.WRITTEN: "green",
    Status.PRINTED: "green",
    Status.EXISTS: "yellow",
    Status.UNCHANGED: "yellow",
    Status.FAILED: "red",
    Status.QUEUED: "cyan",
}


# --- what a line says ------------------------------------------------------------------------------


def plain_width() -> int:
    """How long a plain line may be: ``COLUMNS`` when the environment sets it, else ``LINE_WIDTH``."""
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 40 else LINE_WIDTH


def clip(text: str, width: int | None = LINE_WIDTH) -> str:
    """``text`` on one line, cut at a word to at most ``width`` characters, ending '…' (``None``: whole)."""
    line = " ".join(text.split())
    if width is None or len(line) <= width:
        return line
    cut = line[: width - 1]
    if " " in cut[width // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def item_name(item: object) -> str:
    """How a run item is named on a line: a topic, a page's file name, a job's topic."""
    topic = getattr(item, "topic", None)
    if isinstance(topic, str):
        return topic
    return item.name if isinstance(item, Path) else str(item)


def where(outcome: Outcome, root: Path | None) -> str:
    """The page's path inside the vault (``topics/rust.md``), else its topic."""
    if outcome.path is None:
        return outcome.topic
    if root is not None:
        for path, base in ((outcome.path, root), (outcome.path.resolve(), root.resolve())):
            if path.is_relative_to(base):
                return path.relative_to(base).as_posix()
    return outcome.path.name


def in_vault(text: str, root: Path | None) -> str:
    """``text`` with the vault's own absolute path left out of the paths it names (``topics/x.md``)."""
    if root is None:
        return text
    for base in {str(root), str(root.resolve())}:
        text = text.replace(base.rstrip("/") + "/", "")
    return text


def drift_and_reasks(outcome: Outcome) -> str:
    """'list-length ×2, bold-label; re-asked books (812 out)': drift accepted, sections asked again."""
    kinds: dict[str, int] = {}
    for note in outcome.notes:
        kind = note.split(": ")[1] if note.count(": ") >= 2 else note
        kinds[kind] = kinds.get(kind, 0) + 1
    parts = [", ".join(f"{kind} ×{count}" if count > 1 else kind for kind, count in kinds.items())]
    if outcome.reasked:
        spent = outcome.reask_usage.output_tokens
        parts.append(f"re-asked {', '.join(outcome.reasked)} ({spent:,} out)")
    return "; ".join(part for part in parts if part)


def edits(outcome: Outcome) -> list[str]:
    """What became of the sections a person edited: kept, or replaced (``--force``), each named."""
    kept = [f"kept edited {', '.join(outcome.kept)}"] if outcome.kept else []
    replaced = [f"replaced edited {', '.join(outcome.replaced)}"] if outcome.replaced else []
    return kept + replaced


def attention(outcome: Outcome) -> list[str]:
    """What a person should look at in a page that did not fail; a page with any is listed."""
    reasked = [f"re-asked {', '.join(outcome.reasked)}"] if outcome.reasked else []
    return edits(outcome) + reasked + list(outcome.warnings)


def remarks(outcome: Outcome) -> list[str]:
    """Everything a page's line says after its figures: edits kept or replaced, drift, re-asks, warnings."""
    drift = [text] if (text := drift_and_reasks(outcome)) else []
    return edits(outcome) + drift + list(outcome.warnings)


def listed(outcome: Outcome, verbose: bool) -> bool:
    """Whether the summary names this page: it failed or needs a look (every page when verbose)."""
    return verbose or outcome.status is Status.FAILED or bool(attention(outcome))


def page_line(
    outcome: Outcome,
    root: Path | None,
    seconds: float | None = None,
    verbose: bool = False,
    reason: str | None = None,
) -> str:
    """``written topics/rust.md 3.2 s 2,140 out``; ``failed Rust: why`` (``reason``, when given, in
    place of the page's own); notes after a colon."""
    if outcome.status is Status.FAILED:
        return f"failed {outcome.topic}: {reason or in_vault(outcome.detail, root) or 'no reason given'}"
    parts = [outcome.status.value, where(outcome, root)]
    if seconds is not None:
        parts.append(f"{seconds:.1f} s")
    if outcome.cached:
        parts.append("from the reply cache")
    elif outcome.usage.output_tokens:
        parts.append(f"{outcome.usage.output_tokens:,} out")
    said = remarks(outcome)
    if outcome.detail and (verbose or (outcome.status in LEFT_ALONE and not said)):
        said.append(outcome.detail)
    return " ".join(parts) + (f": {'; '.join(said)}" if said else "")


def retry_line(item: object, notice: RetryNotice) -> str:
    """``Rust: 429, retrying in 4 s (2/6)``."""
    message = str(notice.error)
    status = _HTTP_STATUS.search(message)
    reason = status.group(1) if status else message.split(": ", 1)[-1]
    seconds = f"{notice.wait:.1f}" if notice.wait < 1 else f"{notice.wait:.0f}"
    return f"{item_name(item)}: {reason}, retrying in {seconds} s ({notice.attempt}/{notice.attempts})"


def total_usage(outcomes: Iterable[Outcome]) -> Usage:
    return sum((outcome.usage for outcome in outcomes), Usage())


def total_usage_of_reasks(outcomes: Iterable[Outcome]) -> Usage:
    return sum((outcome.reask_usage for outcome in outcomes), Usage())


def token_counts(usage: Usage) -> str:
    """'5,200 in, 2,000 out, 1,024 cached' (+ cache writes and reasoning when there were some)."""
    text = f"{usage.input_tokens:,} in, {usage.output_tokens:,} out, {usage.cached_tokens:,} cached"
    if usage.cache_write_tokens:
        text += f", {usage.cache_write_tokens:,} written to cache"
    return text + (f", {usage.reasoning_tokens:,} reasoning" if usage.reasoning_tokens else "")


def totals(report: RunReport, price: Priced | None = None) -> list[str]:
    """The run's totals, as parts a line may be broken between."""
    outcomes = [outcome for _, outcome in report.results]
    counts = Counter(outcome.status for outcome in outcomes)
    done = [f"{counts[status]} {status.value}" for status in Status if counts[status]]
    kept = sum(len(outcome.kept) for outcome in outcomes)
    if kept:
        done.append(f"{kept} edited section(s) kept")
    replaced = sum(len(outcome.replaced) for outcome in outcomes)
    if replaced:
        done.append(f"{replaced} edited section(s) replaced")
    cached = sum(outcome.cached for outcome in outcomes)
    if cached:
        done.append(f"{cached} from the reply cache")
    notes = sum(len(outcome.notes) for outcome in outcomes)
    if notes:
        done.append(f"{notes} drift note(s)")
    reasked = sum(len(outcome.reasked) for outcome in outcomes)
    if reasked:
        spent = total_usage_of_reasks(outcomes)
        done.append(f"{reasked} section(s) re-asked ({spent.output_tokens:,} output tokens)")
    usage = total_usage(outcomes)
    parts = [
        f"{', '.join(done) or 'nothing done'} in {report.elapsed:.1f}s",
        *by_model(outcomes),
        f"tokens: {token_counts(usage)}",
    ]
    if price is not None:
        parts.append(f"about ${price.cost(usage):.4f}")
    return parts


def by_model(outcomes: Iterable[Outcome]) -> list[str]:
    """'by model: 3 openai:gpt-6-luna, 2 anthropic:claude-haiku-5-5': the pages each model of a
    fallback chain wrote (nothing for a run of one model)."""
    counts = Counter(outcome.model for outcome in outcomes if outcome.model is not None)
    if not counts:
        return []
    return ["by model: " + ", ".join(f"{count} {model}" for model, count in counts.items())]


def reference_parts(report: RunReport, verbose: bool = False) -> list[list[str]]:
    """What checking the run's books and videos found (``runs.references``), each line as parts it
    may be broken between; books not found counted by page unless ``verbose``."""
    from topicgen.runs.references import summary_parts

    found = [(outcome.topic, outcome.references) for _, outcome in report.results if outcome.references]
    return summary_parts(found, verbose=verbose)


def left_lines(report: RunReport, left_label: str = "topics", width: int | None = LINE_WIDTH) -> list[str]:
    """What a run that stopped early left, and how to finish it."""
    if not report.left:
        return []
    why = (
        "interrupted" if report.interrupted else "cost budget reached" if report.budget_reached else "not run"
    )
    names = [item_name(item) for item in report.left[:NAMES_SHOWN]]
    more = f" and {len(report.left) - NAMES_SHOWN} more" if len(report.left) > NAMES_SHOWN else ""
    return [
        clip(f"{why}: {len(report.left)} {left_label} left: {', '.join(names)}{more}", width),
        "run the same command again to finish them; replies already received are cached",
    ]


def fit(parts: list[str], width: int | None = LINE_WIDTH) -> list[str]:
    """``parts`` joined with '; ' on as few lines as keep each within ``width``, broken only between
    parts (a line that goes on ends with ';'); a part longer than ``width`` stands whole on its own."""
    lines: list[str] = []
    for part in parts:
        if lines and (width is None or len(lines[-1]) + 2 + len(part) <= width):
            lines[-1] += f"; {part}"
        else:
            if lines:
                lines[-1] += ";"
            lines.append(part)
    return lines


# --- the two displays ------------------------------------------------------------------------------


class Display(Protocol):
    """What ``runs.console.execute`` and the CLI need from a display."""

    def start(self, total: int, description: str) -> None: ...
    def started(self, item: object) -> None: ...
    def finished(self, item: object, outcome: Outcome) -> None: ...
    def retried(self, notice: RetryNotice) -> None: ...
    def say(self, message: str) -> None: ...
    def stop(self) -> None: ...
    def summary(
        self, report: RunReport, price: Priced | None = None, *, left_label: str = "topics"
    ) -> None: ...


class _Display:
    """What both displays share: the vault root lines are relative to, verbosity, and when each
    page started, so its line can say how long it took."""

    def __init__(self, root: Path | None, verbose: bool) -> None:
        self.root = root
        self.verbose = verbose
        self._total = 0
        self._started: dict[int, float] = {}
        # the error that stops the whole run, if one did: the command ends with it, whole, once
        self.run_stopper: Callable[[], BaseException | None] = lambda: None
        self._first_with: dict[str, str] = {}  # a failure's reason → the first page that failed so

    def reason(self, outcome: Outcome) -> str | None:
        """What a failed page's line says in place of its reason, so that one failure prints once:
        the run-stopping error is printed last, whole; a reason already shown names its page."""
        stopper = self.run_stopper()
        if stopper is not None and outcome.detail == redact(str(stopper)):
            return STOPPED
        first = self._first_with.setdefault(outcome.detail, outcome.topic)
        return None if first == outcome.topic else f"the same error as {first}"

    def started(self, item: object) -> None:
        self._started[id(item)] = time.perf_counter()

    def seconds(self, item: object) -> float | None:
        started = self._started.pop(id(item), None)
        return None if started is None else time.perf_counter() - started


class PlainDisplay(_Display):
    """Lines only, each written whole as it happens: for logs, pipes and ``--plain``."""

    def __init__(self, stream: TextIO, root: Path | None = None, *, verbose: bool = False) -> None:
        super().__init__(root, verbose)
        self.stream = stream
        self.width = None if verbose else plain_width()
        self._clipped = False

    def _write(self, line: str, whole: bool = False) -> None:
        shown = " ".join(line.split()) if whole else clip(line, self.width)
        self._clipped = self._clipped or shown != " ".join(line.split())
        self.stream.write(shown + "\n")
        self.stream.flush()

    def start(self, total: int, description: str) -> None:
        self._total = total

    def stop(self) -> None:
        pass

    def finished(self, item: object, outcome: Outcome) -> None:
        seconds = self.seconds(item)
        if outcome.status in LEFT_ALONE and self._total > 1 and not listed(outcome, self.verbose):
            return  # counted in the totals; a run of one page always says what became of it
        reason = self.reason(outcome) if outcome.status is Status.FAILED else None
        self._write(page_line(outcome, self.root, seconds, self.verbose, reason))

    def retried(self, notice: RetryNotice) -> None:
        self._write(retry_line(current_item.get(), notice))

    def say(self, message: str) -> None:
        self._write(message)

    def summary(self, report: RunReport, price: Priced | None = None, *, left_label: str = "topics") -> None:
        outcomes = [outcome for _, outcome in report.results]
        shown = [outcome for outcome in outcomes if listed(outcome, self.verbose)]
        if len(outcomes) > 1:  # one page's line was the progress line
            for outcome in shown:
                reason = self.reason(outcome) if outcome.status is Status.FAILED else None
                if reason != STOPPED:  # those pages were named as they failed; the error comes last
                    self._write(page_line(outcome, self.root, verbose=self.verbose, reason=reason))
        for parts in [totals(report, price), *reference_parts(report, self.verbose)]:
            for line in fit(parts, self.width):
                self._write(line)  # broken between parts; cut only when one part alone is too long
        for line in left_lines(report, left_label, self.width):
            self._write(line)
        if self._clipped:
            self._write("(lines ending '…' were shortened; --verbose prints them whole)")


class TerminalDisplay(_Display):
    """A live bar (or a spinner for one page) with events printed above it; a table at the end."""

    def __init__(self, console: Console, root: Path | None = None, *, verbose: bool = False) -> None:
        super().__init__(root, verbose)
        self.console = console
        self._progress: Any = None
        self._task: Any = None
        self._failed = 0
        self._description = ""

    def start(self, total: int, description: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._total, self._description = total, description
        if total < 2:
            columns: tuple[Any, ...] = (
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
            )
        else:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeElapsedColumn(),
            )
        self._progress = Progress(*columns, console=self.console, transient=True)
        self._task = self._progress.add_task(description, total=total, failed=0)
        self._progress.start()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()

    def started(self, item: object) -> None:
        super().started(item)
        if self._total < 2 and self._progress is not None:  # "drafting with m" → "drafting Rust with m"
            verb, _, rest = self._description.partition(" ")
            self._progress.update(self._task, description=f"{verb} {item_name(item)} {rest}".rstrip())

    def finished(self, item: object, outcome: Outcome) -> None:
        seconds = self.seconds(item)
        failed = outcome.status is Status.FAILED
        self._failed += failed
        alone = outcome.status in LEFT_ALONE and self._total < 2  # a run of one page says what became of it
        several = self._total > 1  # one page's failure is in the table that follows at once
        if (failed and several) or alone or (self.verbose and several):
            reason = self.reason(outcome) if failed else None
            self._print(page_line(outcome, self.root, seconds, self.verbose, reason), _STYLE[outcome.status])
        if self._progress is not None:
            self._progress.update(self._task, advance=1, failed=self._failed)

    def _print(self, line: str, style: str = "") -> None:
        from rich.text import Text

        self.console.print(Text(line, style=style), soft_wrap=True, highlight=False)

    def retried(self, notice: RetryNotice) -> None:
        self._print(retry_line(current_item.get(), notice), "yellow")

    def say(self, message: str) -> None:
        self._print(message, "yellow")

    def summary(self, report: RunReport, price: Priced | None = None, *, left_label: str = "topics") -> None:
        from rich.table import Table
        from rich.text import Text

        outcomes = [outcome for _, outcome in report.results]
        shown = [outcome for outcome in outcomes if listed(outcome, self.verbose)]
        if shown:
            table = Table(show_edge=False)
            for column in ("page", "result", "why / notes", "tokens in/out/cached/written"):
                table.add_column(column, overflow="fold")
            for outcome in shown:
                usage = outcome.usage
                failed = outcome.status is Status.FAILED
                detail = (failed and self.reason(outcome)) or in_vault(outcome.detail, self.root)
                said = [detail] if failed or self.verbose else []
                table.add_row(  # names and details are untrusted text: shown as text, never as markup
                    Text(outcome.topic if outcome.status is Status.FAILED else where(outcome, self.root)),
                    f"[{_STYLE[outcome.status]}]{outcome.status.value}[/]",
                    Text("; ".join(part for part in [*said, *remarks(outcome)] if part)),
                    f"{usage.input_tokens:,}/{usage.output_tokens:,}/{usage.cached_tokens:,}"
                    f"/{usage.cache_write_tokens:,}",
                )
            self.console.print(table)
        for parts in [totals(report, price), *reference_parts(report, self.verbose)]:
            self._print("; ".join(parts))
        for line in left_lines(report, left_label, width=None):
            self._print(line, "yellow")


def display_for(
    root: Path | None = None, *, plain: bool = False, verbose: bool = False, stream: TextIO | None = None
) -> Display:
    """The terminal display when ``stream`` (stderr) is a terminal and ``plain`` is not asked, else lines."""
    stream = stream or sys.stderr
    if plain or not stream.isatty():
        return PlainDisplay(stream, root, verbose=verbose)
    from rich.console import Console

    return TerminalDisplay(Console(file=stream), root, verbose=verbose)
