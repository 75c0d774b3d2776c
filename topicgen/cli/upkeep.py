"""Commands that tend a vault: ``stale``, ``regen`` and ``index``."""

import json
from json.encoder import encode_basestring  # a JSON string with non-ASCII kept, as ensure_ascii=False
from pathlib import Path
from typing import Annotated, Any

import typer

from topicgen.cli.app import (
    BatchOption,
    ConcurrencyOption,
    FreshOption,
    LimitOption,
    MaxCostOption,
    ModelOption,
    NoCacheOption,
    NoVerifyOption,
    NoWaitOption,
    PlainOption,
    ReaskOption,
    RecordOption,
    RpmOption,
    TpmOption,
    VaultOption,
    VerboseOption,
    app,
    display,
    drip,
    execute,
    finish,
    models_text,
    open_cli_vault,
    refuse_retired_model,
    reports_errors,
    run_overrides,
    say,
)
from topicgen.cli.batch import check_batch_flags, run_in_batches, run_settings
from topicgen.errors import UsageError


@app.command()
@reports_errors
def stale(
    vault: VaultOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per page, for scripts.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="List fresh pages too.")] = False,
    no_cache: NoCacheOption = False,
) -> None:
    """List the topic pages that are out of date, why, and what regen would do."""
    import sys
    from datetime import UTC, datetime

    from topicgen.model.fingerprint import vault_fingerprint
    from topicgen.upkeep.staleness import scan
    from topicgen.vault.stat_cache import ScanCache

    the_vault, settings, _ = open_cli_vault(vault, run_overrides(no_cache=no_cache))
    current = vault_fingerprint(the_vault.root)
    folder = the_vault.topics_dir.relative_to(the_vault.root).as_posix()
    rows: list[dict[str, Any]] = []
    lines: list[str] = []
    counts = {"stale": 0, "fresh": 0, "not generated": 0}
    cache = ScanCache.of(the_vault, settings.scan_cache)
    for item in scan(the_vault.topics_dir, settings, current, datetime.now(UTC), cache):
        state = item.page
        kind = "stale" if item.stale else "fresh" if state.generated else "not generated"
        counts[kind] += 1
        if as_json:
            lines.append(stale_line(f"{folder}/{state.path.name}", state.title, kind, item))
            if len(lines) >= 1_000:  # written in batches: one write per thousand pages, memory flat
                sys.stdout.write("\n".join(lines) + "\n")
                lines.clear()
        elif kind != "fresh" or show_all:
            rows.append({"page": f"{folder}/{state.path.name}", **_verdict(item)})
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
    if not as_json:
        _print_stale_table(rows, counts)


def _verdict(item: Any) -> dict[str, Any]:
    """What ``stale`` says of a page besides its name and title (``item``: an ``Assessment``)."""
    state = item.page
    return {
        "status": "stale" if item.stale else "fresh" if state.generated else "not generated",
        "reasons": list(item.reasons),
        "action": item.action,
        "regenerate": list(item.regenerate),
        "edited": list(state.edited),
    }


def stale_line(page: str, title: str, kind: str, item: Any) -> str:
    """One page of ``stale --json``: {"page", "title", "status", "reasons", "action", "regenerate",
    "edited"}. Most pages share what follows their title (fresh, nothing edited), so that part is
    encoded once per distinct verdict."""
    state = item.page
    key = (kind, item.reasons, item.regenerate, state.edited, state.generated, state.problem is None)
    rest = _VERDICTS.get(key)
    if rest is None:
        rest = _VERDICTS[key] = json.dumps(_verdict(item), ensure_ascii=False)[1:]
    return f'{{"page": {encode_basestring(page)}, "title": {encode_basestring(title)}, {rest}'


_VERDICTS: dict[tuple[Any, ...], str] = {}


def _print_stale_table(rows: list[dict[str, Any]], counts: dict[str, int]) -> None:
    """A table on a terminal; otherwise a line per page (``topics/x.md: stale: why -> what``)."""
    import sys

    total = ", ".join(f"{count} {kind}" for kind, count in counts.items())
    if not sys.stdout.isatty():
        for row in rows:
            why = "; ".join(row["reasons"]) or "fresh"
            typer.echo(f"{row['page']}: {row['status']}: {why} -> {row['action']}")
        typer.echo(total)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if rows:
        table = Table(show_edge=False)
        for column in ("page", "why", "would do"):
            table.add_column(column, overflow="fold")
        for row in rows:  # titles and reasons come from pages: text, never markup
            table.add_row(Text(row["page"]), Text("; ".join(row["reasons"]) or "fresh"), Text(row["action"]))
        console.print(table)
    console.print(total, soft_wrap=True)


@app.command()
@reports_errors
def regen(
    targets: Annotated[
        list[str] | None,
        typer.Argument(metavar="TOPIC|PAGE", help="Topic names or page paths to regenerate."),
    ] = None,
    stale_pages: Annotated[bool, typer.Option("--stale", help="Regenerate every stale page.")] = False,
    limit: LimitOption = None,
    sections: Annotated[
        str | None,
        typer.Option(metavar="SECTION,...", help="Only these sections, comma-separated, e.g. joke,books."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(help="Also replace sections a person edited (each is named in the plan and summary)."),
    ] = False,
    fresh: FreshOption = False,
    dry_run: Annotated[
        bool, typer.Option(help="Show the plan and a token and cost estimate; call nothing.")
    ] = False,
    vault: VaultOption = None,
    model: ModelOption = None,
    concurrency: ConcurrencyOption = None,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_cost: MaxCostOption = None,
    record: RecordOption = None,
    no_verify: NoVerifyOption = False,
    verify_only: Annotated[
        bool,
        typer.Option(
            "--verify-only",
            help="Only check books and YouTube links (of the pages named, or of every page marked "
            "unverified), fixing what is not found as a new page would.",
        ),
    ] = False,
    plain: PlainOption = False,
    verbose: VerboseOption = False,
    batch: BatchOption = False,
    no_wait: NoWaitOption = False,
    reask: ReaskOption = "batch",
    no_cache: NoCacheOption = False,
) -> None:
    """Regenerate pages (or some of their sections), keeping every human edit."""
    from topicgen.model.fingerprint import vault_fingerprint
    from topicgen.page.sections import resolve_sections
    from topicgen.runs.regen import plan_regen
    from topicgen.vault.stat_cache import ScanCache

    if verify_only:
        if stale_pages or sections or force or no_verify or dry_run or limit is not None:
            raise UsageError(
                "--verify-only takes page names only (no --stale, --sections, --force, --dry-run, --limit)"
            )
        flags = run_overrides(model=model, concurrency=concurrency)
        fresh = fresh or record is not None
        _recheck(vault, list(targets or []), flags, record, fresh=fresh, plain=plain, verbose=verbose)
        return
    if not targets and not stale_pages:
        raise UsageError("name the pages to regenerate, or pass --stale")
    check_batch_flags(batch=batch, no_wait=no_wait, reask=reask)
    keys = resolve_sections(sections.split(",")) if sections else None
    flags = run_overrides(
        model=model,
        concurrency=concurrency,
        rpm=rpm,
        tpm=tpm,
        max_cost=max_cost,
        no_verify=no_verify,
        no_cache=no_cache,
    )
    the_vault, settings, _ = open_cli_vault(vault, flags)
    settings = run_settings(settings, batch=batch)
    if not dry_run:
        from topicgen.runs.warmup import preload

        for spec in settings.models:
            preload(spec)  # the SDKs load while the pages are read and planned
    current = vault_fingerprint(the_vault.root)
    chosen: dict[str, Any] = {"targets": list(targets or []), "stale": stale_pages, "sections": keys}
    cache = ScanCache.of(the_vault, settings.scan_cache)
    jobs, left_alone = plan_regen(the_vault.topics_dir, settings, current, **chosen, force=force, cache=cache)
    if left_alone:
        say(f"left alone: {len(left_alone)} page(s) not generated by topicgen (see `topicgen stale`)")
    order = {
        (True, False): "in the order named",
        (False, True): "oldest generated first",
        (True, True): "the pages named first, then the stale ones oldest generated first",
    }[(bool(targets), stale_pages)]
    jobs = drip(jobs, limit, "page(s) to regenerate", order)
    if dry_run:
        _print_regen_plan(the_vault, settings, jobs, batch=batch)
        return
    if not jobs:
        say("nothing to regenerate")
        return
    the_vault.ensure_writable()
    shown = display(the_vault, plain=plain, verbose=verbose)
    if batch:
        from topicgen.runs.batch.api import regen_command

        command = regen_command(the_vault, settings, **chosen, force=force, jobs=jobs, limit=limit)
        run_in_batches(the_vault, settings, command, "regenerating", no_wait, reask, record, shown)
        return
    _regenerate(
        the_vault, settings, jobs, force=force, fresh=fresh or record is not None, record=record, shown=shown
    )


def _regenerate(
    vault: Any,
    settings: Any,
    jobs: list[Any],
    *,
    force: bool,
    fresh: bool,
    record: Path | None,
    shown: Any,
) -> None:
    from topicgen.runs.api import build_client, engine_for, regenerate

    client = build_client(settings, record)
    report = execute(
        engine_for(settings),
        lambda engine: regenerate(
            vault, settings, jobs, client=client, force=force, fresh=fresh, engine=engine
        ),
        total=len(jobs),
        description=f"regenerating with {models_text(settings)}",
        display=shown,
        client=client,
    )
    finish(vault, settings, report, display=shown, client=client)


def _recheck(
    vault: Path | None,
    targets: list[str],
    flags: dict[str, Any],
    record: Path | None,
    *,
    fresh: bool,
    plain: bool,
    verbose: bool,
) -> None:
    from topicgen.runs.api import build_client, engine_for, recheck_references
    from topicgen.runs.recheck import recheck_targets
    from topicgen.runs.regen import resolve_targets

    the_vault, settings, _ = open_cli_vault(vault, flags)
    refuse_retired_model(settings)
    named = resolve_targets(the_vault.topics_dir, targets) if targets else []
    paths = recheck_targets(the_vault.topics_dir, named)
    if not paths:
        say("no page is marked unverified; name pages to check them again")
        return
    the_vault.ensure_writable()
    client = build_client(settings, record)
    shown = display(the_vault, plain=plain, verbose=verbose)
    report = execute(
        engine_for(settings),
        lambda engine: recheck_references(
            the_vault, settings, paths, client=client, engine=engine, fresh=fresh
        ),
        total=len(paths),
        description="checking references",
        display=shown,
        client=client,
    )
    finish(the_vault, settings, report, display=shown, client=client)


def _print_regen_plan(vault: Any, settings: Any, jobs: list[Any], *, batch: bool = False) -> None:
    from rich.console import Console
    from rich.table import Table

    from topicgen.model.clients.base import Usage
    from topicgen.model.costs import price_for
    from topicgen.model.prompt import Prompts
    from topicgen.runs.regen import plan_tokens

    prompts = Prompts(vault.root)
    price = price_for(settings.model, settings.prices, batch=batch)
    table = Table(show_edge=False)
    for column in ("page", "sections", "kept (edited)", "replaced (edited)", "tokens in/out (est.)"):
        table.add_column(column, overflow="fold")
    total = Usage()
    asked = 0
    for job in jobs:
        tokens_in, tokens_out = plan_tokens(job, prompts)
        total += Usage(tokens_in, tokens_out)
        asked += bool(job.sections)
        what = "whole page" if job.whole else ", ".join(job.sections) or "nothing"
        row = (job.path.name, what, ", ".join(job.keep), ", ".join(job.replaces))
        table.add_row(*row, f"{tokens_in:,}/{tokens_out:,}")
    console = Console()
    console.print(table)
    cost = f"about ${price.cost(total):.4f}" if price else f"no price known for {settings.model}"
    if price and batch:
        cost += " at batch prices"
    elif price and len(settings.models) > 1:
        cost += f" at {settings.model}'s price"
    console.print(
        f"{asked} of {len(jobs)} page(s) asked of {models_text(settings)}; estimate "
        f"{total.input_tokens:,} input and {total.output_tokens:,} output tokens, {cost}; no call made",
        soft_wrap=True,
    )


@app.command()
@reports_errors
def index(vault: VaultOption = None, no_cache: NoCacheOption = False) -> None:
    """Rebuild topics/index.md (keeping hand-written text) and refresh every page's links."""
    from topicgen.upkeep.index import write_index
    from topicgen.upkeep.links import relink_vault
    from topicgen.upkeep.view import VaultView

    the_vault, settings, _ = open_cli_vault(vault, run_overrides(no_cache=no_cache))
    view = VaultView.scan(the_vault, settings)
    relinked = relink_vault(the_vault, settings, view=view)
    result = write_index(
        the_vault, hard_breaks=settings.trailing_spaces, site_url=settings.site_url, notes=view.topics.notes
    )
    typer.echo(str(result.path))
    state = "" if result.changed else " (unchanged)"
    say(f"{result.entries} topic(s) listed{state}; links refreshed in {len(relinked)} page(s)")
