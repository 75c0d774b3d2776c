"""``topicgen grow``: draft the topics the vault's pages name that have no page yet, a few at a time."""

import json
import sys
from typing import Annotated, Any

import typer

from topicgen.cli.app import (
    BatchOption,
    ConcurrencyOption,
    FreshOption,
    MaxCostOption,
    ModelOption,
    NoCacheOption,
    NoVerifyOption,
    NoWaitOption,
    PlainOption,
    ReaskOption,
    RpmOption,
    TpmOption,
    VaultOption,
    VerboseOption,
    app,
    display,
    open_cli_vault,
    reports_errors,
    run_overrides,
    say,
    warn_if_retiring,
)
from topicgen.cli.batch import Batched, check_batch_flags, run_settings
from topicgen.errors import UsageError

DEFAULT_LIMIT = 10
MORE_SHOWN = 20  # names listed past this run's (--json lists them all)
PAGES_SHOWN = 2


@app.command()
@reports_errors
def grow(
    root: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="TOPIC",
            help="Grow outward from this topic's page: the names nearest to it first (breadth first).",
        ),
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            "--depth", metavar="N", min=1, help="With --from: only names at most N steps from it (default 2)."
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", metavar="N", min=1, help=f"Draft at most N pages this run (default {DEFAULT_LIMIT})."
        ),
    ] = DEFAULT_LIMIT,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            metavar="NAME",
            help="Never draft NAME (nor its other spellings): adds it to [grow] ignore in topicgen.toml "
            "and drafts nothing. Repeatable.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(help="List the ranked names without a page, and estimate this run; call nothing."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="With --dry-run: one JSON object per name, for scripts.")
    ] = False,
    vault: VaultOption = None,
    model: ModelOption = None,
    fresh: FreshOption = False,
    concurrency: ConcurrencyOption = None,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_cost: MaxCostOption = None,
    no_verify: NoVerifyOption = False,
    plain: PlainOption = False,
    verbose: VerboseOption = False,
    batch: BatchOption = False,
    no_wait: NoWaitOption = False,
    reask: ReaskOption = "batch",
    no_cache: NoCacheOption = False,
) -> None:
    """Draft pages for the topics the vault's pages name that have no page yet, the most named first.

    Names come from the Topics tree (parent, children, advanced topics), then the
    concepts and comparisons of the pages topicgen wrote or adopted; a name with a
    page under any spelling (title, alias, file name, with or without its
    abbreviation, plural or singular) is never drafted again. Mentions of the new
    pages on the other pages become links.
    """
    if depth is not None and root is None:
        raise UsageError("--depth goes with --from TOPIC (the page to grow outward from)")
    if as_json and not dry_run:
        raise UsageError("--json lists the names without a page: use it with --dry-run")
    check_batch_flags(batch=batch, no_wait=no_wait, reask=reask)
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
    if ignore:
        _ignore(the_vault, ignore, dry_run=dry_run)
        return
    settings = run_settings(settings, batch=batch)
    if dry_run:
        from topicgen.upkeep.frontier import no_cycle_collection

        with no_cycle_collection():  # it lists and leaves: no collector pass over the ranked candidates
            found, pending, chosen = _plan(the_vault, settings, root, depth, limit, batch=batch)
            _print_frontier(the_vault, settings, found, chosen, pending, as_json=as_json, batch=batch)
        return
    from topicgen.runs.warmup import preload

    preload(settings.model)  # the SDK loads while the vault is read
    found, pending, chosen = _plan(the_vault, settings, root, depth, limit, batch=batch)
    _say_plan(found, chosen, pending)
    if not chosen and not pending:
        _relink(the_vault, settings, found)
        return
    the_vault.ensure_writable()
    _relink(the_vault, settings, found)
    from topicgen.cli.draft import draft_pages

    draft_pages(
        the_vault,
        settings,
        pending + chosen,
        force=False,
        fresh=fresh,
        to_stdout=False,
        record=None,
        shown=display(the_vault, plain=plain, verbose=verbose),
        cache=True,
        batched=Batched(no_wait, reask) if batch else None,
        verb="growing",
    )


def _plan(
    vault: Any, settings: Any, root: str | None, depth: int | None, limit: int, *, batch: bool
) -> tuple[Any, list[str], list[str]]:
    """The vault's frontier, the names an earlier batch run submitted, and this run's names."""
    from topicgen.runs.api import grow_frontier

    found = grow_frontier(vault, settings, root=root, depth=depth)
    pending: list[str] = []
    if batch:
        from topicgen.runs.batch.api import pending_topics

        pending = pending_topics(vault, settings.model)
    return found, pending, _choose(found.candidates, limit, pending)


def _choose(candidates: list[Any], limit: int, pending: list[str]) -> list[str]:
    """The first ``limit`` names to draft, in rank order: each can be a topic name and is not one
    an earlier batch run submitted (those are collected, not drafted again)."""
    from topicgen.vault.slugs import slug_for

    taken = {slug_for(name) for name in pending}
    chosen: list[str] = []
    for candidate in candidates:
        if len(chosen) >= limit:
            break
        if candidate.name and candidate.slug not in taken:
            chosen.append(candidate.name)
    return chosen


def _ignore(vault: Any, names: list[str], *, dry_run: bool) -> None:
    """``--ignore``: the names go into topicgen.toml's ``[grow] ignore`` (committed with the vault,
    so every machine and CI run refuses them); nothing is drafted."""
    from topicgen.config import CONFIG_FILE, record_ignored
    from topicgen.vault.slugs import clean_topic_name

    cleaned = [clean_topic_name(name) for name in names]
    added = record_ignored(vault.root, cleaned, dry_run=dry_run)
    for name in added:
        typer.echo(name)
    listed = len(cleaned) - len(added)
    already = f"; {listed} already listed" if listed else ""
    verb = "would add" if dry_run else "added"
    say(f"{verb} {len(added)} name(s) to [grow] ignore in {vault.root / CONFIG_FILE}{already}")


def _say_plan(found: Any, chosen: list[str], pending: list[str]) -> None:
    collecting = f"; first collecting {len(pending)} submitted by an earlier run" if pending else ""
    ignored = f", {found.ignored} ignored" if found.ignored else ""
    say(
        f"{len(found.candidates)} topic(s) named without a page{ignored} ({found.read_from} of "
        f"{found.pages} page(s) read are topicgen's); drafting {len(chosen)}{collecting}"
    )
    if not chosen and not pending:
        say("nothing to grow: every topic the pages name has a page, or is ignored")


def _relink(vault: Any, settings: Any, found: Any) -> None:
    """Pages whose Topics tree names a topic with a page, without a link (a run killed before it
    relinked, a page drafted by hand): their links are made now."""
    if not found.unlinked:
        return
    from topicgen.upkeep.links import relink_vault

    paths = [vault.topic_path(slug) for slug in found.unlinked]
    changed = relink_vault(vault, settings, pages=paths)
    if changed:
        say(f"linked the topics with pages that {len(changed)} page(s) named without a link")


def _print_frontier(
    vault: Any,
    settings: Any,
    found: Any,
    chosen: list[str],
    pending: list[str],
    *,
    as_json: bool,
    batch: bool,
) -> None:
    """The ranked names without a page (those this run would draft first), then the estimate."""
    folder = vault.topics_dir.relative_to(vault.root).as_posix()
    this_run = set(chosen) | set(pending)
    shown = found.candidates if as_json else found.candidates[: len(chosen) + MORE_SHOWN]
    rows = [
        {
            "rank": rank,
            "name": candidate.name,
            "spellings": list(candidate.spellings),
            "mentioned_by": len(candidate.pages),
            "pages": [f"{folder}/{slug}.md" for slug in candidate.pages],
            "found_in": list(candidate.sections),
            "depth": candidate.depth,
            "page": f"{folder}/{candidate.slug}.md",
            "this_run": candidate.name in this_run,
        }
        for rank, candidate in enumerate(shown, 1)
        if candidate.name
    ]
    if as_json:
        lines = [json.dumps(row, ensure_ascii=False) for row in rows]
        sys.stdout.write("".join(line + "\n" for line in lines))
    elif sys.stdout.isatty():
        _table(rows)
    else:
        sys.stdout.write("".join(_line(row) + "\n" for row in rows))
    more = len(found.candidates) - len(shown)
    if more > 0 and not as_json:
        typer.echo(f"... and {more:,} more named without a page (--json lists them all)")
    summary = _estimate(vault, settings, found, chosen, pending, batch=batch)
    if as_json:
        say(summary)
    else:
        typer.echo(summary)
    if found.unlinked:
        say(f"{len(found.unlinked)} page(s) name topics with pages without a link: grow links them")
    warn_if_retiring(settings.model)


def _found_in(row: dict[str, Any]) -> str:
    pages = [page.rsplit("/", 1)[-1].removesuffix(".md") for page in row["pages"]]
    more = f" +{len(pages) - PAGES_SHOWN}" if len(pages) > PAGES_SHOWN else ""
    return f"{', '.join(row['found_in'])} ({', '.join(pages[:PAGES_SHOWN])}{more})"


def _mentioned(row: dict[str, Any]) -> str:
    count = row["mentioned_by"]
    return f"{count} page{'' if count == 1 else 's'}"


def _line(row: dict[str, Any]) -> str:
    mark = "*" if row["this_run"] else " "
    return (
        f"{mark}{row['rank']:>4}. {row['name']}: named by {_mentioned(row)}, in {_found_in(row)} "
        f"-> {row['page']}"
    )


def _table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_edge=False)
    for column in ("#", "name", "mentioned by", "found in", "would be written to"):
        table.add_column(column, overflow="fold")
    for index, row in enumerate(rows):
        if index and rows[index - 1]["this_run"] and not row["this_run"]:
            table.add_section()  # this run's names above the line, later runs' below
        rank = f"{'*' if row['this_run'] else ''}{row['rank']}"
        cells = (rank, row["name"], _mentioned(row), _found_in(row), row["page"])
        table.add_row(*(Text(cell) for cell in cells))  # names come from pages: text, never markup
    Console().print(table)


def _estimate(
    vault: Any, settings: Any, found: Any, chosen: list[str], pending: list[str], *, batch: bool
) -> str:
    """What drafting ``chosen`` would cost (``pending`` is in a batch already: nothing more)."""
    from topicgen.model.clients.base import Usage
    from topicgen.model.costs import price_for
    from topicgen.runs.api import plan_topics

    total = Usage()
    for plan in plan_topics(vault, chosen):
        total += Usage(plan.input_tokens, plan.output_tokens)
    price = price_for(settings.model, settings.prices, batch=batch)
    cost = f"about ${price.cost(total):.4f}" if price else f"no price known for {settings.model}"
    at = " at batch prices" if batch and price else ""
    collecting = f" (and collect {len(pending)} an earlier run submitted)" if pending else ""
    ignored = f", {found.ignored} ignored ([grow] ignore)" if found.ignored else ""
    return (
        f"--- {len(found.candidates)} topic(s) named without a page{ignored} ({found.read_from} of "
        f"{found.pages} page(s) read are topicgen's); this run would draft the {len(chosen)} "
        f"marked *{collecting} with {settings.model}: about {total.input_tokens:,} input and "
        f"{total.output_tokens:,} output tokens, {cost}{at}; no call made"
    )
