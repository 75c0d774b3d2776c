"""The ``topicgen`` command: a thin layer over ``topicgen.runner`` and friends.

Only typer and the standard library are imported at start-up; each command
imports what it needs (and provider SDKs load only when a client is built),
so ``topicgen --help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from topicgen.errors import TopicgenError, UsageError

app = typer.Typer(
    name="topicgen",
    help="Draft and maintain encyclopedia-style topic notes in a Markdown vault with an LLM.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

Command = TypeVar("Command", bound=Callable[..., Any])

VaultOption = Annotated[Path, typer.Option("--vault", help="The vault folder (default: the current folder).")]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Model spec: openai:, anthropic:, ollama:, openai-compatible:<model> or replay:<dir>.",
    ),
]


def _say(message: str) -> None:
    typer.echo(message, err=True)


def reports_errors(command: Command) -> Command:
    """Turn topicgen's errors into one line on stderr: exit 2 for usage, 1 otherwise."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UsageError as error:
            _say(f"error: {error}")
            raise typer.Exit(2) from None
        except TopicgenError as error:
            _say(f"error: {error}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _read_topic_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read topics from {path}: {error}") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


@app.command()
@reports_errors
def new(
    topics: Annotated[list[str] | None, typer.Argument(help="Topic names, e.g. 'Graph Theory'.")] = None,
    from_file: Annotated[
        Path | None, typer.Option("--from", help="Read topic names from a file, one per line.")
    ] = None,
    vault: VaultOption = Path("."),
    model: ModelOption = None,
    force: Annotated[bool, typer.Option(help="Replace pages that already exist.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Show the prompt and a token estimate; call nothing.")
    ] = False,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="'-' prints the page instead of writing it.")
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Topics in flight at once.")] = None,
    record: Annotated[
        Path | None, typer.Option(help="Save every provider exchange in this folder (no secrets).")
    ] = None,
) -> None:
    """Draft new topic pages into the vault's topics/ folder."""
    from topicgen.runner import clean_topics, open_vault

    names = list(topics or []) + (_read_topic_file(from_file) if from_file else [])
    if output not in (None, "-"):
        raise UsageError("--output takes '-' (print the page to stdout)")
    cleaned = clean_topics(names)
    if output == "-" and len(cleaned) > 1:
        raise UsageError("--output - prints one page; give one topic")
    the_vault, settings = open_vault(vault, {"model": model, "concurrency": concurrency})
    if dry_run:
        _print_plans(the_vault, cleaned)
        return
    _draft(the_vault, settings, cleaned, force=force, to_stdout=output == "-", record=record)


def _draft(
    vault: Any, settings: Any, topics: list[str], *, force: bool, to_stdout: bool, record: Path | None
) -> None:
    import asyncio

    from rich.console import Console

    from topicgen.pipeline import Status
    from topicgen.report import print_summary
    from topicgen.runner import Stopwatch, build_client, draft_topics

    client = build_client(settings, record)
    console = Console(stderr=True)
    watch = Stopwatch()
    with console.status(f"drafting {len(topics)} topic(s) with {settings.model}"):
        outcomes = asyncio.run(
            draft_topics(vault, settings, topics, client=client, force=force, to_stdout=to_stdout)
        )
    for outcome in outcomes:
        if outcome.status is Status.PRINTED and outcome.text is not None:
            sys.stdout.write(outcome.text + "\n")
        elif outcome.status is Status.WRITTEN and outcome.path is not None:
            typer.echo(str(outcome.path))
    print_summary(outcomes, watch.elapsed, console)
    if any(outcome.status is Status.FAILED for outcome in outcomes):
        raise typer.Exit(1)


def _print_plans(vault: Any, topics: list[str]) -> None:
    from topicgen.runner import plan_topics

    for plan in plan_topics(vault, topics):
        state = "exists; --force replaces it" if plan.exists else "new"
        typer.echo(f"=== {plan.topic} → {plan.path} ({state})")
        for message in plan.messages:
            typer.echo(f"--- {message['role']}\n{message['content']}")
        typer.echo(
            f"--- estimate: about {plan.input_tokens:,} input tokens (prompt + schema) and "
            f"{plan.output_tokens:,} output tokens; no call made"
        )


@app.command()
def schema() -> None:
    """Print the JSON Schema of a topic page (what models are asked to return)."""
    from topicgen.schema import schema_text

    sys.stdout.write(schema_text())


@app.command()
@reports_errors
def render(
    reply: Annotated[Path, typer.Argument(help="A saved reply: the page as JSON.")],
    topic: Annotated[
        str | None, typer.Option(help="The topic name (needed unless the file records it).")
    ] = None,
    vault: VaultOption = Path("."),
) -> None:
    """Render a saved JSON reply to Markdown on stdout, linking the vault's notes."""
    from topicgen.replies import render_saved_reply

    sys.stdout.write(render_saved_reply(reply, topic, vault) + "\n")


def main() -> None:
    app(prog_name="topicgen")


if __name__ == "__main__":
    main()
