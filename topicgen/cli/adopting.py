"""Commands that read pages topicgen did not write: ``import``, ``check`` and ``adopt``."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from topicgen.cli.app import (
    BatchOption,
    ConcurrencyOption,
    FreshOption,
    LimitOption,
    ModelOption,
    NoCacheOption,
    NoWaitOption,
    PlainOption,
    ReaskOption,
    RecordOption,
    VaultOption,
    VerboseOption,
    app,
    display,
    drip,
    execute,
    finish,
    models_text,
    open_cli_vault,
    reports_errors,
    run_overrides,
    say,
)
from topicgen.cli.batch import check_batch_flags, run_in_batches, run_settings
from topicgen.errors import UsageError


def _read_page(page: Path) -> str:
    """A page's text ('-' reads stdin); a missing or non-UTF-8 file is a usage error."""
    from topicgen.vault.files import MAX_PAGE_BYTES, read_named_file, read_page_text

    if str(page) != "-" and (page.is_file() or page.is_symlink()):
        return read_page_text(page)  # regular files only, never through a link, within the size cap
    try:
        return read_named_file(page, limit=MAX_PAGE_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{page} is not UTF-8 text") from None
    except FileNotFoundError:
        raise UsageError(f"{page}: no such page") from None
    except OSError as error:
        raise UsageError(f"cannot read {page}: {error.strerror or error}") from None


@app.command("import")
@reports_errors
def import_page(
    page: Annotated[Path, typer.Argument(metavar="PAGE", help="A topic page (Markdown); '-' reads stdin.")],
) -> None:
    """Read a topic page back into page data: the schema's JSON on stdout, problems on stderr.

    Exit 0 when the page is whole (its defects, such as text no section can
    hold, are still listed), 1 when sections are missing or do not fit the
    outline (the sections it has are still printed), 2 on a bad argument.
    """
    import json

    from topicgen.errors import TopicgenError
    from topicgen.read.parse import LEFT_ALONE, parse_page

    parsed = parse_page(_read_page(page))
    if not parsed.is_topic:
        raise TopicgenError(f"{page}: {LEFT_ALONE[parsed.kind]}")
    data = parsed.summary().model_dump(mode="json") if parsed.complete else parsed.data()
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    for finding in parsed.defects:
        say(f"{page}:{finding.line}: {finding.code.value}: {finding.message}")
    if not parsed.complete:
        say(f"{page}: not a whole page: {parsed.lacking()}")
        raise typer.Exit(1)


@app.command()
@reports_errors
def check(
    pages: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PAGE", help="Pages or folders (default: every page in topics/)."),
    ] = None,
    vault: VaultOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per page, for scripts.")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Also look up every book and YouTube link (uses the network).")
    ] = False,
    no_cache: NoCacheOption = False,
) -> None:
    """Lint topic pages: what is wrong with each, with line numbers. Exit 1 if any page has defects."""
    import json

    from topicgen.upkeep.check import check_pages, format_report, pages_to_check
    from topicgen.vault.stat_cache import ScanCache

    the_vault, settings, _ = open_cli_vault(vault, run_overrides(no_cache=no_cache))
    cache = ScanCache.of(the_vault, settings.scan_cache)
    reports = check_pages(the_vault, pages_to_check(the_vault, list(pages or [])), cache)
    if verify:
        import asyncio

        from topicgen.upkeep.references import verify_reports

        problems = asyncio.run(verify_reports(the_vault, settings, reports))
        if problems:
            say(f"warning: some references could not be checked ({'; '.join(problems)}); they are noted")
    for report in reports:
        if as_json:
            typer.echo(json.dumps(report.as_dict(the_vault.root), ensure_ascii=False))
        else:
            typer.echo(format_report(report, the_vault.root))
    defective = sum(1 for report in reports if not report.clean)
    alone = sum(1 for report in reports if report.kind.value != "topic")
    say(f"{len(reports)} page(s) checked: {defective} with defects, {alone} left alone")
    if defective:
        raise typer.Exit(1)


@app.command()
@reports_errors
def adopt(
    pages: Annotated[list[Path] | None, typer.Argument(metavar="PAGE", help="Topic pages to adopt.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Every topic page in topics/.")] = False,
    limit: LimitOption = None,
    dry_run: Annotated[bool, typer.Option(help="Print the diff each page would get; write no page.")] = False,
    rewrite_unfit: Annotated[
        bool,
        typer.Option(
            "--rewrite-unfit",
            help="Also have the model rewrite sections whose text does not fit the outline.",
        ),
    ] = False,
    fresh: FreshOption = False,
    vault: VaultOption = None,
    model: ModelOption = None,
    concurrency: ConcurrencyOption = None,
    record: RecordOption = None,
    plain: PlainOption = False,
    verbose: VerboseOption = False,
    batch: BatchOption = False,
    no_wait: NoWaitOption = False,
    reask: ReaskOption = "batch",
) -> None:
    """Rewrite pages topicgen did not write into its shape, asking the model only for what is missing."""
    from topicgen.runs.adopt import LazyClient, pages_to_adopt, resolve_pages
    from topicgen.runs.api import adopt_pages, build_client, engine_for
    from topicgen.upkeep.staleness import topic_pages

    if pages and all_pages:
        raise UsageError("name pages or pass --all, not both")
    if not pages and not all_pages:
        raise UsageError("name the pages to adopt, or pass --all")
    check_batch_flags(batch=batch, no_wait=no_wait, reask=reask)
    the_vault, settings, _ = open_cli_vault(vault, run_overrides(model=model, concurrency=concurrency))
    settings = run_settings(settings, batch=batch)
    paths = list(topic_pages(the_vault.topics_dir)) if all_pages else resolve_pages(the_vault, pages or [])
    if limit is not None:
        paths, others = pages_to_adopt(paths)
        if others:
            say(f"{others} page(s) topicgen maintains, leaves alone or cannot adopt are not counted")
        paths = drip(paths, limit, "page(s) to adopt", "in file-name order" if all_pages else "as named")
    if not paths:
        say("no topic pages to adopt")
        return
    shown = display(the_vault, plain=plain, verbose=verbose)
    if batch and not dry_run:  # a dry run calls no model, in batches or not
        from topicgen.runs.batch.api import adopt_command

        command = adopt_command(the_vault, settings, paths, rewrite_unfit=rewrite_unfit)
        run_in_batches(the_vault, settings, command, "adopting", no_wait, reask, record, shown)
        return
    client = LazyClient(settings.model, lambda: build_client(settings, record))
    report = execute(
        engine_for(settings),
        lambda engine: adopt_pages(
            the_vault,
            settings,
            paths,
            client=client,
            dry_run=dry_run,
            rewrite_unfit=rewrite_unfit,
            fresh=fresh or record is not None,
            engine=engine,
        ),
        total=len(paths),
        description=f"adopting with {models_text(settings)}",
        display=shown,
        client=client,
    )
    if dry_run:
        _say_estimate(settings, [outcome for _, outcome in report.results])
    finish(the_vault, settings, report, display=shown, print_pages=dry_run, client=client)


def _say_estimate(settings: Any, outcomes: list[Any]) -> None:
    """What adopting for real would ask the model, priced; a dry run asks nothing."""
    from topicgen.model.clients.base import Usage
    from topicgen.model.costs import price_for

    asked = [outcome.estimate for outcome in outcomes if outcome.estimate and outcome.estimate.input_tokens]
    total = sum(asked, Usage())
    price = price_for(settings.model, settings.prices)
    cost = f"about ${price.cost(total):.4f}" if price else f"no price known for {settings.model}"
    if price and len(settings.models) > 1:
        cost += f" at {settings.model}'s price"
    alone = sum(1 for outcome in outcomes if outcome.detail.startswith("left alone"))
    if alone:
        say(f"{alone} page(s) left alone (not outline pages, or topicgen's already): no failure")
    say(f"{len(asked)} page(s) would ask {models_text(settings)}; no call made")
    say(f"estimate: about {total.input_tokens:,} input and {total.output_tokens:,} output tokens, {cost}")
