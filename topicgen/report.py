"""The end-of-run summary on stderr: one row per topic, then token totals."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from topicgen.clients.base import Usage
from topicgen.pipeline import Outcome, Status

_STYLE = {Status.WRITTEN: "green", Status.PRINTED: "green", Status.EXISTS: "yellow", Status.FAILED: "red"}


def total_usage(outcomes: list[Outcome]) -> Usage:
    return sum((outcome.usage for outcome in outcomes), Usage())


def print_summary(outcomes: list[Outcome], elapsed: float, console: Console) -> None:
    table = Table(title="topicgen", title_justify="left", show_edge=False)
    table.add_column("topic")
    table.add_column("result")
    table.add_column("detail", overflow="fold")
    table.add_column("tokens in/out/cached", justify="right")
    for outcome in outcomes:
        usage = outcome.usage
        where = str(outcome.path.name) if outcome.path and outcome.status is Status.WRITTEN else ""
        table.add_row(
            outcome.topic,
            f"[{_STYLE[outcome.status]}]{outcome.status.value}[/]",
            outcome.detail or where,
            f"{usage.input_tokens:,}/{usage.output_tokens:,}/{usage.cached_tokens:,}",
        )
    console.print(table)
    total = total_usage(outcomes)
    counts = {status: sum(1 for o in outcomes if o.status is status) for status in Status}
    parts = [f"{count} {status.value}" for status, count in counts.items() if count]
    console.print(
        f"{', '.join(parts)} in {elapsed:.1f}s; tokens: {total.input_tokens:,} in, "
        f"{total.output_tokens:,} out, {total.cached_tokens:,} cached"
    )
