"""What a run shows on stderr: a progress bar while it works, a summary when it ends."""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from topicgen.model.clients.base import Usage
from topicgen.model.costs import Price
from topicgen.runs.engine import RunReport
from topicgen.runs.references import summary_lines as reference_lines
from topicgen.runs.workshop import Outcome, Status

_STYLE = {
    Status.WRITTEN: "green",
    Status.PRINTED: "green",
    Status.EXISTS: "yellow",
    Status.UNCHANGED: "yellow",
    Status.FAILED: "red",
}
ROWS_SHOWN = 50


class RunProgress:
    """A progress bar on stderr, advanced as each page finishes."""

    def __init__(self, console: Console, total: int, description: str) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=total < 2 or not console.is_terminal,
        )
        self._task = self._progress.add_task(description, total=total, failed=0)
        self._failed = 0

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._progress.stop()

    def advance(self, _item: object, outcome: Outcome) -> None:
        self._failed += outcome.status is Status.FAILED
        self._progress.update(self._task, advance=1, failed=self._failed)


def total_usage(outcomes: Iterable[Outcome]) -> Usage:
    return sum((outcome.usage for outcome in outcomes), Usage())


def token_counts(usage: Usage) -> str:
    """'5,200 in, 2,000 out, 1,024 cached, 300 written to cache' (+ reasoning when there was some)."""
    text = (
        f"{usage.input_tokens:,} in, {usage.output_tokens:,} out, {usage.cached_tokens:,} cached, "
        f"{usage.cache_write_tokens:,} written to cache"
    )
    return text + (f", {usage.reasoning_tokens:,} reasoning" if usage.reasoning_tokens else "")


def total_usage_of_reasks(outcomes: Iterable[Outcome]) -> Usage:
    return sum((outcome.reask_usage for outcome in outcomes), Usage())


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


def print_summary(
    report: RunReport, console: Console, price: Price | None = None, *, left_label: str = "topics"
) -> None:
    outcomes = [outcome for _, outcome in report.results]
    table = Table(title="topicgen", title_justify="left", show_edge=False)
    columns = ("page", "result", "detail", "kept sections", "drift, re-asked", "tokens in/out/cached/written")
    for column in columns:
        table.add_column(column, overflow="fold")
    shown = (
        outcomes
        if len(outcomes) <= ROWS_SHOWN
        else [o for o in outcomes if o.status is Status.FAILED or o.kept]
    )
    for outcome in shown:
        usage = outcome.usage
        table.add_row(  # names and details are untrusted text: shown as text, never as rich markup
            Text(outcome.topic),
            f"[{_STYLE[outcome.status]}]{outcome.status.value}[/]",
            Text(outcome.detail or (outcome.path.name if outcome.path else "")),
            ", ".join(outcome.kept),
            drift_and_reasks(outcome),
            f"{usage.input_tokens:,}/{usage.output_tokens:,}/{usage.cached_tokens:,}/{usage.cache_write_tokens:,}",
        )
    if shown:
        console.print(table)
    total = total_usage(outcomes)
    counts = {status: sum(1 for o in outcomes if o.status is status) for status in Status}
    parts = [f"{count} {status.value}" for status, count in counts.items() if count]
    kept = sum(len(o.kept) for o in outcomes)
    if kept:
        parts.append(f"{kept} edited section(s) kept")
    notes = sum(len(o.notes) for o in outcomes)
    if notes:
        parts.append(f"{notes} drift note(s)")
    reasked = sum(len(o.reasked) for o in outcomes)
    if reasked:
        spent = total_usage_of_reasks(outcomes)
        parts.append(f"{reasked} section(s) re-asked ({spent.output_tokens:,} output tokens)")
    cost = f", about ${price.cost(total):.4f}" if price is not None else ""
    console.print(
        f"{', '.join(parts) or 'nothing done'} in {report.elapsed:.1f}s; tokens: {token_counts(total)}{cost}",
        soft_wrap=True,
    )
    for line in reference_lines((o.topic, o.references) for o in outcomes if o.references):
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    if report.left:
        why = (
            "interrupted"
            if report.interrupted
            else "cost budget reached"
            if report.budget_reached
            else "not run"
        )
        names = ", ".join(str(item) for item in report.left[:10])
        more = f" and {len(report.left) - 10} more" if len(report.left) > 10 else ""
        console.print(
            f"[yellow]{why}: {len(report.left)} {left_label} left ({names}{more}); "
            "run the same command again to finish them — validated replies are cached, "
            "so nothing is paid twice[/]",
            soft_wrap=True,
        )
