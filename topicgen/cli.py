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

from topicgen.errors import TopicgenError, UsageError, VaultError

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


ConcurrencyOption = Annotated[int | None, typer.Option(help="Pages in flight at once (default 4).")]
RpmOption = Annotated[int | None, typer.Option("--rpm", help="Client-side requests-per-minute budget.")]
TpmOption = Annotated[int | None, typer.Option("--tpm", help="Client-side tokens-per-minute budget.")]
MaxCostOption = Annotated[
    float | None, typer.Option("--max-cost", help="Start no new page once the estimate reaches USD.")
]
RecordOption = Annotated[
    Path | None, typer.Option(help="Save every provider exchange in this folder (no secrets).")
]


def _run_overrides(**flags: Any) -> dict[str, Any]:
    return {key: value for key, value in flags.items() if value is not None}


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
    concurrency: ConcurrencyOption = None,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_cost: MaxCostOption = None,
    record: RecordOption = None,
) -> None:
    """Draft new topic pages into the vault's topics/ folder."""
    from topicgen.config import open_vault
    from topicgen.runner import clean_topics

    names = list(topics or []) + (_read_topic_file(from_file) if from_file else [])
    if output not in (None, "-"):
        raise UsageError("--output takes '-' (print the page to stdout)")
    cleaned = clean_topics(names)
    if output == "-" and len(cleaned) > 1:
        raise UsageError("--output - prints one page; give one topic")
    flags = _run_overrides(model=model, concurrency=concurrency, rpm=rpm, tpm=tpm, max_cost=max_cost)
    the_vault, settings = open_vault(vault, flags)
    if dry_run:
        _print_plans(the_vault, cleaned)
        return
    if output != "-":
        the_vault.ensure_writable()  # before any call: a vault that can't take the pages costs nothing
    _draft(the_vault, settings, cleaned, force=force, to_stdout=output == "-", record=record)


def _draft(
    vault: Any, settings: Any, topics: list[str], *, force: bool, to_stdout: bool, record: Path | None
) -> None:
    from topicgen.runner import build_client, draft_topics, engine_for

    client = build_client(settings, record)
    engine = engine_for(settings)
    report = _execute(
        engine,
        lambda e: draft_topics(
            vault, settings, topics, client=client, force=force, to_stdout=to_stdout, engine=e
        ),
        total=len(topics),
        description=f"drafting with {settings.model}",
    )
    _finish(vault, settings, report, print_pages=to_stdout)


def _execute(engine: Any, start: Any, *, total: int, description: str) -> Any:
    from rich.console import Console

    from topicgen.runs import execute

    return execute(engine, start, total=total, description=description, console=Console(stderr=True))


def _finish(vault: Any, settings: Any, report: Any, *, print_pages: bool = False) -> None:
    """Results on stdout, summary on stderr, the index refreshed; exit 1 if any page failed."""
    from rich.console import Console

    from topicgen.costs import price_for
    from topicgen.index import write_index
    from topicgen.links import relink_vault
    from topicgen.pipeline import Status, VaultView
    from topicgen.report import print_summary

    outcomes = [outcome for _, outcome in report.results]
    for outcome in outcomes:
        if print_pages and outcome.status is Status.PRINTED and outcome.text is not None:
            sys.stdout.write(outcome.text + "\n")
        elif outcome.status is Status.WRITTEN and outcome.path is not None:
            typer.echo(str(outcome.path))
    if any(outcome.status is Status.WRITTEN for outcome in outcomes):
        written = [o.path for o in outcomes if o.status is Status.WRITTEN and o.path is not None]
        view = VaultView.scan(vault, settings)  # read once: the notes now, for links and the index
        created = [o.topic for o in outcomes if o.created]
        relink_vault(vault, settings, written=written, new_topics=created, view=view)
        try:
            notes = view.topics.notes
            write_index(vault, hard_breaks=settings.trailing_spaces, site_url=settings.site_url, notes=notes)
        except VaultError as error:  # the pages are written; only the listing could not be refreshed
            _say(f"warning: {error}")
    print_summary(report, Console(stderr=True), price_for(settings.model, settings.prices))
    if any(outcome.status is Status.FAILED for outcome in outcomes) or report.interrupted:
        raise typer.Exit(130 if report.interrupted else 1)


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
@reports_errors
def stale(
    vault: VaultOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per page, for scripts.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="List fresh pages too.")] = False,
) -> None:
    """List the topic pages that are out of date, why, and what regen would do."""
    import json
    from datetime import UTC, datetime

    from topicgen.config import open_vault
    from topicgen.fingerprint import vault_fingerprint
    from topicgen.staleness import scan

    the_vault, settings = open_vault(vault)
    current = vault_fingerprint(the_vault.root)
    rows = []
    counts = {"stale": 0, "fresh": 0, "not generated": 0}
    for item in scan(the_vault.topics_dir, settings, current, datetime.now(UTC)):
        state = item.page
        kind = "stale" if item.stale else "fresh" if state.generated else "not generated"
        counts[kind] += 1
        record = {
            "page": str(state.path.relative_to(the_vault.root)),
            "title": state.title,
            "status": kind,
            "reasons": list(item.reasons),
            "action": item.action,
            "regenerate": list(item.regenerate),
            "edited": list(state.edited),
        }
        if as_json:
            typer.echo(json.dumps(record, ensure_ascii=False))
        elif kind != "fresh" or show_all:
            rows.append(record)
    if not as_json:
        _print_stale_table(rows, counts)


def _print_stale_table(rows: list[dict[str, Any]], counts: dict[str, int]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if rows:
        table = Table(show_edge=False)
        for column in ("page", "why", "would do"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(row["page"], "; ".join(row["reasons"]) or "fresh", row["action"])
        console.print(table)
    console.print(", ".join(f"{count} {kind}" for kind, count in counts.items()), soft_wrap=True)


@app.command()
@reports_errors
def regen(
    targets: Annotated[
        list[str] | None, typer.Argument(help="Topic names or page paths to regenerate.")
    ] = None,
    stale_pages: Annotated[bool, typer.Option("--stale", help="Regenerate every stale page.")] = False,
    sections: Annotated[
        str | None, typer.Option(help="Only these sections, comma-separated, e.g. jokes,books.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Also replace sections a person edited.")] = False,
    dry_run: Annotated[
        bool, typer.Option(help="Show the plan and a token and cost estimate; call nothing.")
    ] = False,
    vault: VaultOption = Path("."),
    model: ModelOption = None,
    concurrency: ConcurrencyOption = None,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_cost: MaxCostOption = None,
    record: RecordOption = None,
) -> None:
    """Regenerate pages (or some of their sections), keeping every human edit."""
    from topicgen.config import open_vault
    from topicgen.fingerprint import vault_fingerprint
    from topicgen.regen import plan_regen
    from topicgen.sections import resolve_sections

    if not targets and not stale_pages:
        raise UsageError("name the pages to regenerate, or pass --stale")
    keys = resolve_sections(sections.split(",")) if sections else None
    flags = _run_overrides(model=model, concurrency=concurrency, rpm=rpm, tpm=tpm, max_cost=max_cost)
    the_vault, settings = open_vault(vault, flags)
    current = vault_fingerprint(the_vault.root)
    jobs, left_alone = plan_regen(
        the_vault.topics_dir,
        settings,
        current,
        targets=list(targets or []),
        stale=stale_pages,
        sections=keys,
        force=force,
    )
    if left_alone:
        _say(f"left alone: {len(left_alone)} page(s) not generated by topicgen (see `topicgen stale`)")
    if dry_run:
        _print_regen_plan(the_vault, settings, jobs)
        return
    if not jobs:
        _say("nothing to regenerate")
        return
    the_vault.ensure_writable()
    _regenerate(the_vault, settings, jobs, force=force, record=record)


def _regenerate(vault: Any, settings: Any, jobs: list[Any], *, force: bool, record: Path | None) -> None:
    from topicgen.cache import ReplyCache
    from topicgen.regen import Regenerator
    from topicgen.runner import build_client, engine_for, run_closing

    client = build_client(settings, record)
    worker = Regenerator(vault, settings, client, force=force, cache=ReplyCache.of_vault(vault.state_dir))
    report = _execute(
        engine_for(settings),
        lambda engine: run_closing(engine, jobs, worker.regen, client),
        total=len(jobs),
        description=f"regenerating with {settings.model}",
    )
    _finish(vault, settings, report)


def _print_regen_plan(vault: Any, settings: Any, jobs: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from topicgen.clients.base import Usage
    from topicgen.costs import price_for
    from topicgen.prompt import Prompts
    from topicgen.regen import plan_tokens

    system_chars = len(Prompts(vault.root).system())
    price = price_for(settings.model, settings.prices)
    table = Table(show_edge=False)
    for column in ("page", "sections", "kept (edited)", "tokens in/out (est.)"):
        table.add_column(column, overflow="fold")
    total = Usage()
    for job in jobs:
        size = job.path.stat().st_size if job.path.exists() else 0
        tokens_in, tokens_out = plan_tokens(job, size, system_chars)
        total += Usage(tokens_in, tokens_out)
        what = "whole page" if job.whole else ", ".join(job.sections) or "nothing"
        table.add_row(job.path.name, what, ", ".join(job.keep), f"{tokens_in:,}/{tokens_out:,}")
    console = Console()
    console.print(table)
    cost = f"about ${price.cost(total):.4f}" if price else f"no price known for {settings.model}"
    console.print(
        f"{len(jobs)} page(s); estimate {total.input_tokens:,} input and {total.output_tokens:,} "
        f"output tokens, {cost}; no call made",
        soft_wrap=True,
    )


@app.command()
@reports_errors
def index(vault: VaultOption = Path(".")) -> None:
    """Rebuild topics/index.md (keeping hand-written text) and refresh every page's links."""
    from topicgen.config import open_vault
    from topicgen.index import write_index
    from topicgen.links import relink_vault
    from topicgen.pipeline import VaultView

    the_vault, settings = open_vault(vault)
    view = VaultView.scan(the_vault, settings)
    relinked = relink_vault(the_vault, settings, view=view)
    result = write_index(
        the_vault, hard_breaks=settings.trailing_spaces, site_url=settings.site_url, notes=view.topics.notes
    )
    typer.echo(str(result.path))
    state = "" if result.changed else " (unchanged)"
    _say(f"{result.entries} topic(s) listed{state}; links refreshed in {len(relinked)} page(s)")


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


def _read_page(page: Path) -> str:
    """A page's text ('-' reads stdin); a missing or non-UTF-8 file is a usage error."""
    if str(page) == "-":
        return sys.stdin.read()
    try:
        return page.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{page} is not UTF-8 text") from None
    except IsADirectoryError:
        raise UsageError(f"{page} is a folder, not a page") from None
    except FileNotFoundError:
        raise UsageError(f"{page}: no such page") from None
    except OSError as error:
        raise UsageError(f"cannot read {page}: {error.strerror or error}") from None


@app.command("import")
@reports_errors
def import_page(
    page: Annotated[Path, typer.Argument(help="A topic page (Markdown); '-' reads stdin.")],
) -> None:
    """Read a topic page back into page data: the schema's JSON on stdout, problems on stderr.

    Exit 0 when the page is whole, 1 when sections are missing or text could
    not be placed (the sections it has are still printed), 2 on a bad argument.
    """
    import json

    from topicgen.errors import TopicgenError
    from topicgen.parse import LEFT_ALONE, parse_page

    parsed = parse_page(_read_page(page))
    if not parsed.is_topic:
        raise TopicgenError(f"{page}: {LEFT_ALONE[parsed.kind]}")
    data = parsed.summary().model_dump(mode="json") if parsed.complete else parsed.data()
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    for finding in parsed.defects:
        _say(f"{page}:{finding.line}: {finding.code.value}: {finding.message}")
    if not parsed.complete:
        _say(f"{page}: not a whole page: {parsed.lacking()}")
        raise typer.Exit(1)


@app.command()
@reports_errors
def check(
    pages: Annotated[
        list[Path] | None, typer.Argument(help="Pages or folders (default: every page in topics/).")
    ] = None,
    vault: VaultOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per page, for scripts.")] = False,
) -> None:
    """Lint topic pages: what is wrong with each, with line numbers. Exit 1 if any page has defects."""
    import json

    from topicgen.check import check_pages, format_report, pages_to_check
    from topicgen.config import open_vault

    the_vault, _ = open_vault(vault)
    reports = check_pages(the_vault, pages_to_check(the_vault, list(pages or [])))
    for report in reports:
        if as_json:
            typer.echo(json.dumps(report.as_dict(the_vault.root), ensure_ascii=False))
        else:
            typer.echo(format_report(report, the_vault.root))
    defective = sum(1 for report in reports if not report.clean)
    alone = sum(1 for report in reports if report.kind.value != "topic")
    _say(f"{len(reports)} page(s) checked: {defective} with defects, {alone} left alone")
    if defective:
        raise typer.Exit(1)


@app.command()
@reports_errors
def adopt(
    pages: Annotated[list[Path] | None, typer.Argument(help="Topic pages to adopt.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Every topic page in topics/.")] = False,
    dry_run: Annotated[bool, typer.Option(help="Print the diff each page would get; write no page.")] = False,
    rewrite_unfit: Annotated[
        bool,
        typer.Option(
            "--rewrite-unfit",
            help="Also have the model rewrite sections whose text does not fit the outline.",
        ),
    ] = False,
    vault: VaultOption = Path("."),
    model: ModelOption = None,
    concurrency: ConcurrencyOption = None,
    record: RecordOption = None,
) -> None:
    """Rewrite pages topicgen did not write into its shape, asking the model only for what is missing."""
    from topicgen.adopt import LazyClient, adopt_pages, resolve_pages
    from topicgen.config import open_vault
    from topicgen.runner import build_client, engine_for
    from topicgen.staleness import topic_pages

    if pages and all_pages:
        raise UsageError("name pages or pass --all, not both")
    if not pages and not all_pages:
        raise UsageError("name the pages to adopt, or pass --all")
    the_vault, settings = open_vault(vault, _run_overrides(model=model, concurrency=concurrency))
    paths = list(topic_pages(the_vault.topics_dir)) if all_pages else resolve_pages(the_vault, pages or [])
    if not paths:
        _say("no topic pages to adopt")
        return
    client = LazyClient(settings.model, lambda: build_client(settings, record))
    report = _execute(
        engine_for(settings),
        lambda engine: adopt_pages(
            the_vault,
            settings,
            paths,
            client=client,
            dry_run=dry_run,
            rewrite_unfit=rewrite_unfit,
            engine=engine,
        ),
        total=len(paths),
        description=f"adopting with {settings.model}",
    )
    _finish(the_vault, settings, report, print_pages=dry_run)


def main() -> None:
    app(prog_name="topicgen")


if __name__ == "__main__":
    main()
