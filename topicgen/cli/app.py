"""What every command shares: the typer app, common options, error reporting, running and finishing.

Only typer and the standard library are imported here; commands import what
they need when they run.
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
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"topicgen {version('topicgen')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Draft and maintain encyclopedia-style topic notes in a Markdown vault with an LLM."""


Command = TypeVar("Command", bound=Callable[..., Any])

VaultOption = Annotated[
    Path | None,
    typer.Option(
        "--vault",
        metavar="DIR",
        help="The vault folder (default: the nearest folder at or above this one with "
        "topicgen.toml, .obsidian/ or topics/).",
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        metavar="PROVIDER:MODEL",
        help="Model spec: openai:, anthropic:, ollama:, openai-compatible:<model> or replay:<dir>.",
    ),
]


def say(message: str) -> None:
    typer.echo(message, err=True)


def reports_errors(command: Command) -> Command:
    """Turn topicgen's errors into one line on stderr: exit 2 for usage, 1 otherwise."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except UsageError as error:
            say(f"error: {error}")
            raise typer.Exit(2) from None
        except TopicgenError as error:
            say(f"error: {error}")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def open_cli_vault(option: Path | None, overrides: dict[str, Any] | None = None, *, required: bool = True):
    """(vault, settings, location) for a command; says which vault when it was found above this folder."""
    from topicgen.config import locate_vault, open_vault

    location = locate_vault(option, required=required)
    if location.found and location.how != "--vault" and location.root != location.start:
        say(f"using the vault at {location.describe()}")
    vault, settings = open_vault(location.root, overrides)
    return vault, settings, location


MAX_TOPIC_LIST_BYTES = 64 << 20  # a million topic names, about; a device or an endless pipe stops here


def read_topic_file(path: Path) -> list[str]:
    """Topic names, one a line ('#' comments and blank lines skipped); '-' reads them from stdin."""
    from topicgen.vault.files import read_named_file

    try:
        text = read_named_file(path, limit=MAX_TOPIC_LIST_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read topics from {path}: {error}") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


ConcurrencyOption = Annotated[
    int | None, typer.Option(metavar="N", help="Pages in flight at once (default 4).")
]
RpmOption = Annotated[
    int | None, typer.Option("--rpm", metavar="N", help="Client-side requests-per-minute budget.")
]
TpmOption = Annotated[
    int | None, typer.Option("--tpm", metavar="N", help="Client-side tokens-per-minute budget.")
]
MaxCostOption = Annotated[
    float | None,
    typer.Option("--max-cost", metavar="USD", help="Start no new page once the estimate reaches USD."),
]
RecordOption = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        help="Save every provider exchange in this folder (no secrets); asks the model, not the reply cache.",
    ),
]
PlainOption = Annotated[
    bool,
    typer.Option(
        "--plain",
        help="Plain lines on stderr: one per finished page, then a short summary "
        "(the default when stderr is not a terminal).",
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Name every page in the summary, left-alone ones too; lines whole."),
]

NoCacheOption = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Read every page, trusting nothing remembered from earlier scans (.topicgen/cache/scan is "
        "neither read nor written); the setting scan_cache = false does the same for every run.",
    ),
]
FreshOption = Annotated[
    bool,
    typer.Option(
        "--fresh",
        help="Ask the model again even if the reply cache holds an answer "
        "(the cache serves resumed runs and pages previewed with --output -).",
    ),
]


BatchOption = Annotated[
    bool,
    typer.Option(
        "--batch",
        help="Send the requests through the provider's batch API: half the price, replies within 24 h.",
    ),
]
NoWaitOption = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        help="With --batch: submit, print the batch ids and exit (`topicgen batch collect` later).",
    ),
]
ReaskOption = Annotated[
    str,
    typer.Option(
        "--reask",
        metavar="batch|live",
        help="With --batch: re-ask unusable replies in a follow-up 'batch' (default) or 'live'.",
    ),
]


NoVerifyOption = Annotated[
    bool,
    typer.Option("--no-verify", help="Do not check books and YouTube links (pages are marked unverified)."),
]


def run_overrides(*, no_verify: bool = False, no_cache: bool = False, **flags: Any) -> dict[str, Any]:
    overrides = {key: value for key, value in flags.items() if value is not None}
    if no_verify:
        overrides["verify"] = {"enabled": False}
    if no_cache:
        overrides["scan_cache"] = False
    return overrides


def display(vault: Any, *, plain: bool, verbose: bool) -> Any:
    """How a run reports on stderr: a live display on a terminal, plain lines otherwise."""
    from topicgen.runs.progress import display_for

    return display_for(vault.root, plain=plain, verbose=verbose)


def execute(
    engine: Any, start: Any, *, total: int, description: str, display: Any, settings: Any = None
) -> Any:
    """Run the engine (``runs.console``); with ``settings``, what handling replies needs loads while
    the run waits for its first ones (``runs.warmup.reply_work``)."""
    from topicgen.runs.console import execute
    from topicgen.runs.warmup import reply_work

    warm_up = reply_work(settings.model, settings.prices, verify=settings.verify.enabled) if settings else []
    return execute(engine, start, total=total, description=description, display=display, warm_up=warm_up)


def warn_if_retiring(model: str) -> None:
    """One line when the model's SDK lists it as retiring (``model.retirement``)."""
    from topicgen.model.retirement import retirement

    if (retiring := retirement(model)) is not None:
        say(f"warning: {retiring.describe()}; choose another with --model or `model` in topicgen.toml")


def finish(
    vault: Any,
    settings: Any,
    report: Any,
    *,
    display: Any,
    print_pages: bool = False,
    client: Any = None,
    batch: bool = False,
) -> None:
    """Results on stdout, summary on stderr, links and index refreshed; exit 1 if any page failed.

    An error that failed every call of the run the same way (no quota, a server that is not
    running) ends the output once, whole. ``batch``: the run's replies came from batches,
    priced at the batch price (and its live calls, ``--reask live``, at the live one)."""
    from topicgen.model.clients.base import Usage
    from topicgen.model.costs import cache_note, run_price
    from topicgen.runs.api import refresh_after_run
    from topicgen.runs.workshop import Status

    outcomes = [outcome for _, outcome in report.results]
    for outcome in outcomes:
        if print_pages and outcome.status is Status.PRINTED and outcome.text is not None:
            sys.stdout.write(outcome.text if outcome.text.endswith("\n") else outcome.text + "\n")
        elif outcome.status is Status.WRITTEN and outcome.path is not None:
            typer.echo(str(outcome.path))
    warning = refresh_after_run(vault, settings, outcomes)
    if warning:
        say(f"warning: {warning}")
    live = getattr(report, "live_usage", None) or Usage()
    display.summary(report, run_price(settings.model, settings.prices, batch=batch, live=live))
    spent = [outcome.usage for outcome in outcomes if outcome.usage.input_tokens]
    if note := cache_note(settings.model, sum(spent, Usage()), len(spent)):
        say(f"note: {note}")
    if (stopped := getattr(client, "stopped_by", None)) is not None:
        say(f"error: {stopped}")
    warn_if_retiring(settings.model)
    if any(outcome.status is Status.FAILED for outcome in outcomes) or report.interrupted:
        raise typer.Exit(130 if report.interrupted else 1)
