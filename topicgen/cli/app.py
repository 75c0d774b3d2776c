"""What every command shares: the typer app, common options, error reporting, running and finishing.

Only typer and the standard library are imported here; commands import what
they need when they run.
"""

import functools
import gc
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from typer.core import TyperCommand

from topicgen.errors import TopicgenError, UsageError


def _argument_name(param: Any, *, in_usage: bool = False) -> str:
    """An argument as people write it: ``TOPIC...``, ``[PAGE]...``, ``REPLY.json``; no type names."""
    name = getattr(param, "metavar", None) or (param.name or "").upper()
    if in_usage and not param.required:
        name = f"[{name}]"
    return name + ("..." if param.nargs != 1 else "")


_paused = [False]  # whether start-up paused the cyclic collector (``pause_collection``)


def pause_collection() -> None:
    """Pause the cyclic garbage collector for start-up (``main``), until the command starts.

    Start-up (typer, the command's parameters, pydantic behind them) allocates tens of thousands of
    objects that live as long as the process and almost no garbage, yet every few hundred
    allocations the collector walks them again: about 10 ms of every command. The command resumes
    it (``resume_collection``) with all that set aside for good, as ``runs.warmup`` does for an SDK.
    """
    if gc.isenabled():
        gc.disable()
        _paused[0] = True


def resume_collection() -> None:
    """Collect again, leaving out what start-up loaded (``gc.freeze``); only if start-up paused it."""
    if _paused[0]:
        _paused[0] = False
        gc.freeze()
        gc.enable()


class PlainHelpCommand(TyperCommand):
    """Help that names arguments as the usage line does (``TOPIC...``), not with Python's type names
    (typer would show ``TOPIC <list[str]>`` and ``{REPLY.json}``). Every command starts here, its
    parameters read: the collector paused for start-up resumes."""

    def invoke(self, ctx: Any) -> Any:
        resume_collection()
        return super().invoke(ctx)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(_argument_name(param, in_usage=True))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((_argument_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class PlainHelpTyper(typer.Typer):
    """A typer app whose commands show plain help (``PlainHelpCommand``)."""

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or PlainHelpCommand, **kwargs)


app = PlainHelpTyper(
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
    list[str] | None,
    typer.Option(
        "--model",
        "-m",
        metavar="PROVIDER:MODEL",
        help="Model spec: openai:, anthropic:, ollama:, openai-compatible:<model> or replay:<dir>. "
        "Given more than once, a fallback chain: the next model is asked once one is unavailable.",
    ),
]


def say(message: str) -> None:
    typer.echo(message, err=True)


def warn(message: str) -> None:
    say(f"warning: {message}")


def reports_errors(command: Command) -> Command:
    """Turn topicgen's errors into one line on stderr: exit 2 for usage, 1 otherwise.

    The line is redacted: an address a setting holds may carry a password or a key.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TopicgenError as error:
            from topicgen.model.redact import redact

            say(f"error: {redact(str(error))}")
            raise typer.Exit(2 if isinstance(error, UsageError) else 1) from None

    return wrapper  # type: ignore[return-value]


def open_cli_vault(option: Path | None, overrides: dict[str, Any] | None = None, *, required: bool = True):
    """(vault, settings, location) for a command; says which vault when it was found above this folder."""
    from topicgen.config import locate_vault, open_vault

    location = locate_vault(option, required=required)
    if location.found and location.how != "--vault" and location.root != location.start:
        say(f"using the vault at {location.describe()}")
    vault, settings = open_vault(location.root, overrides, notify=warn)
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


LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        metavar="N",
        min=1,
        help="Do at most N pages this run (in the order stated); the next run picks up the rest.",
    ),
]


def drip(items: list[Any], limit: int | None, what: str, order: str) -> list[Any]:
    """The first ``limit`` items (all without a limit), saying how many this run does, in what order,
    and how many remain for the next run."""
    if limit is None:
        return items
    remain = max(0, len(items) - limit)
    say(
        f"{min(limit, len(items))} of {len(items)} {what} this run, {order}; "
        f"{remain} remain{'s' if remain == 1 else ''} for the next run"
    )
    return items[:limit]


NoVerifyOption = Annotated[
    bool,
    typer.Option("--no-verify", help="Do not check books and YouTube links (pages are marked unverified)."),
]


def run_overrides(*, no_verify: bool = False, no_cache: bool = False, **flags: Any) -> dict[str, Any]:
    overrides = {key: value for key, value in flags.items() if value is not None and value != []}
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
    engine: Any,
    start: Any,
    *,
    total: int,
    description: str,
    display: Any,
    settings: Any = None,
    client: Any = None,
) -> Any:
    """Run the engine (``runs.console``); with ``settings``, what handling replies needs loads while
    the run waits for its first ones (``runs.warmup.reply_work``). With ``client``, pages failed by an
    error that stops the whole run point at it (``finish`` prints it once, whole)."""
    from topicgen.runs.console import execute
    from topicgen.runs.warmup import reply_work

    if client is not None:
        display.run_stopper = lambda: getattr(client, "stopped_by", None)
    warm_up = reply_work(settings.model, settings.prices, verify=settings.verify.enabled) if settings else []
    return execute(engine, start, total=total, description=description, display=display, warm_up=warm_up)


def refuse_retired_model(settings: Any) -> None:
    """A retired model, any of a fallback chain's, is refused before anything is planned or spent
    (exit 2, naming it and its successor)."""
    from topicgen.model.catalogue.lifecycle import refuse_retired

    for spec in settings.models:
        refuse_retired(spec)


def warn_if_retiring(models: str | Iterable[str]) -> None:
    """One line for each deprecated model, one spec or a fallback chain's (``model.catalogue.lifecycle``)."""
    from topicgen.model.catalogue.lifecycle import lifecycle_warning

    for model in (models,) if isinstance(models, str) else models:
        if (warning := lifecycle_warning(model)) is not None:
            say(f"warning: {warning}")


def note_unsent_effort(settings: Any) -> None:
    """One line for each model whose configured reasoning effort will not be sent (an unknown model
    behind an openai-compatible server), for a dry run and ``topicgen config``."""
    from topicgen.model.clients.effort import effort_note

    effort = None if settings.reasoning_effort == "default" else settings.reasoning_effort
    for spec in settings.models:
        if (note := effort_note(spec, effort)) is not None:
            say(f"note: {note}")


def models_text(settings: Any) -> str:
    """The model a run uses, as a line names it: ``openai:gpt-6-luna``, or a fallback chain's
    ``openai:gpt-6-luna, then anthropic:claude-haiku-5-5``."""
    return ", then ".join(settings.models)


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
    from topicgen.model.costs import cache_note
    from topicgen.runs.api import refresh_after_run, summary_price
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
    display.summary(report, summary_price(settings, outcomes, batch=batch, live=live))
    spent = [outcome.usage for outcome in outcomes if outcome.usage.input_tokens]
    if note := cache_note(settings.model, sum(spent, Usage()), len(spent)):
        say(f"note: {note}")
    if (stopped := getattr(client, "stopped_by", None)) is not None:
        say(f"error: {stopped}")
    warn_if_retiring(settings.models)
    if any(outcome.status is Status.FAILED for outcome in outcomes) or report.interrupted:
        raise typer.Exit(130 if report.interrupted else 1)
