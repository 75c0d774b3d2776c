"""Commands that make pages: ``new``, ``render`` and ``schema``."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from topicgen.cli.app import (
    BatchOption,
    ConcurrencyOption,
    FreshOption,
    MaxCostOption,
    ModelOption,
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
    execute,
    finish,
    models_text,
    note_unsent_effort,
    open_cli_vault,
    read_topic_file,
    reports_errors,
    run_overrides,
    say,
    warn_if_retiring,
)
from topicgen.cli.batch import Batched, check_batch_flags, run_in_batches, run_settings
from topicgen.errors import UsageError


@app.command()
@reports_errors
def new(
    topics: Annotated[
        list[str] | None, typer.Argument(metavar="TOPIC", help="Topic names, e.g. 'Graph Theory'.")
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from", metavar="FILE", help="Read topic names from a file, one per line ('-': stdin)."
        ),
    ] = None,
    vault: VaultOption = None,
    model: ModelOption = None,
    force: Annotated[
        bool,
        typer.Option(
            help="Regenerate pages topicgen already wrote, asking the model again, naming the edited "
            "sections it replaces (your own keys, sections and notes stay; a page topicgen did not write "
            "is refused: adopt it; another topic's page of the same file name is never replaced)."
        ),
    ] = False,
    fresh: FreshOption = False,
    dry_run: Annotated[
        bool, typer.Option(help="Show the prompt and a token estimate; call nothing.")
    ] = False,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="-", help="'-' prints the page instead of writing it."),
    ] = None,
    concurrency: ConcurrencyOption = None,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_cost: MaxCostOption = None,
    record: RecordOption = None,
    no_verify: NoVerifyOption = False,
    plain: PlainOption = False,
    verbose: VerboseOption = False,
    batch: BatchOption = False,
    no_wait: NoWaitOption = False,
    reask: ReaskOption = "batch",
) -> None:
    """Draft new topic pages into the vault's topics/ folder."""
    from topicgen.page.titles import clean_topics

    names = list(topics or []) + (read_topic_file(from_file) if from_file else [])
    if output not in (None, "-"):
        raise UsageError("--output takes '-' (print the page to stdout)")
    check_batch_flags(batch=batch, no_wait=no_wait, reask=reask, output=output)
    cleaned = clean_topics(names)
    if output == "-" and len(cleaned) > 1:
        raise UsageError("--output - prints one page; give one topic")
    flags = run_overrides(
        model=model, concurrency=concurrency, rpm=rpm, tpm=tpm, max_cost=max_cost, no_verify=no_verify
    )
    printing = dry_run or output == "-"  # nothing is written: a folder that is no vault will do
    the_vault, settings, location = open_cli_vault(vault, flags, required=not printing)
    settings = run_settings(settings, batch=batch)
    if dry_run:
        _print_plans(the_vault, cleaned, settings, batch=batch, force=force, in_a_vault=location.found)
        return
    from topicgen.runs.warmup import preload

    for spec in settings.models:
        preload(spec)  # the SDKs load while the vault is checked and the run is set up
    if output != "-":
        if force:
            from topicgen.runs.api import refuse_notes_of_ones_own

            refuse_notes_of_ones_own(the_vault, cleaned)
        elif record is not None:
            _say_unrecorded(the_vault, cleaned)
        the_vault.ensure_writable()  # before any call: a vault that can't take the pages costs nothing
    draft_pages(
        the_vault,
        settings,
        cleaned,
        force=force,
        fresh=fresh or record is not None,  # a recording is of the model's replies, not the cache's
        to_stdout=output == "-",
        record=record,
        shown=display(the_vault, plain=plain, verbose=verbose),
        cache=location.found,
        batched=Batched(no_wait, reask) if batch else None,
    )


def _say_unrecorded(vault: Any, topics: list[str]) -> None:
    """--record without --force: pages already there are not drafted, so nothing is recorded for them."""
    from topicgen.vault.slugs import slug_for

    for topic in topics:
        path = vault.topic_path(slug_for(topic))
        if path.exists():
            name = path.relative_to(vault.root).as_posix()
            say(f"{name} already exists: nothing is recorded for it (--force records a fresh draft)")


def draft_pages(
    vault: Any,
    settings: Any,
    topics: list[str],
    *,
    force: bool,
    fresh: bool,
    to_stdout: bool,
    record: Path | None,
    shown: Any,
    cache: bool,
    batched: Batched | None = None,
    verb: str = "drafting",
) -> None:
    """Draft ``topics`` live, or through the provider's batch API (``batched``), reporting on ``shown``."""
    if batched is not None:
        from topicgen.runs.batch.api import new_command

        command = new_command(vault, settings, topics, force=force)
        run_in_batches(vault, settings, command, verb, batched.no_wait, batched.reask, record, shown)
        return
    from topicgen.runs.api import build_client, draft_topics, engine_for

    client = build_client(settings, record)
    engine = engine_for(settings)
    report = execute(
        engine,
        lambda e: draft_topics(
            vault,
            settings,
            topics,
            client=client,
            force=force,
            fresh=fresh,
            to_stdout=to_stdout,
            engine=e,
            use_cache=cache,
        ),
        total=len(topics),
        description=f"drafting with {models_text(settings)}",
        display=shown,
        settings=settings,
        client=client,
    )
    finish(vault, settings, report, display=shown, print_pages=to_stdout, client=client)


def batch_estimate(settings: Any, total: Any) -> str:
    """The estimate at batch prices, beside the live one."""
    from topicgen.model.costs import price_for

    live = price_for(settings.model, settings.prices)
    batch = price_for(settings.model, settings.prices, batch=True)
    if batch is None:
        return f"no price known for {settings.model}"
    beside = f" (live: ${live.cost(total):.4f})" if live is not None else ""
    return f"about ${batch.cost(total):.4f} at batch prices{beside}"


def _print_plans(
    vault: Any,
    topics: list[str],
    settings: Any,
    *,
    batch: bool = False,
    force: bool = False,
    in_a_vault: bool = True,
) -> None:
    """The templates in effect and the system message once, then each topic's own message, then the
    model and the estimate (from the same prompt builder as the run). Only pages the run would ask
    for are counted: a page that is already there costs nothing without --force.

    Outside a vault a page's place is named inside the vault a real run would need (``topics/x.md``),
    never a path here that a real run refuses."""
    from topicgen.model.clients.base import Usage
    from topicgen.model.prompt import Prompts
    from topicgen.runs.api import plan_topics

    prompts = Prompts(vault.root)
    origins = prompts.origins()
    own = [f"{name} from the vault ({path})" for name, path in origins.items() if path is not None]
    shipped = [name for name, path in origins.items() if path is None]
    parts = own + ([", ".join(shipped) + " built in"] if shipped else [])
    typer.echo(f"--- templates: {'; '.join(parts)}")
    typer.echo(f"--- system (the same for every topic)\n{prompts.system()}")
    total = Usage()
    if not in_a_vault:
        typer.echo(
            "--- no vault here: a real run needs one (run it inside a vault, or pass --vault DIR); "
            "pages go to its topics/ folder"
        )
    asked = 0
    for plan in plan_topics(vault, topics, prompts, force=force):
        place = plan.path if in_a_vault else plan.path.relative_to(vault.root).as_posix()
        typer.echo(f"=== {plan.topic} → {place} ({plan.state})")
        if not plan.asked:
            continue
        for message in plan.messages:
            if message["role"] != "system":
                typer.echo(f"--- {message['role']}\n{message['content']}")
        typer.echo(
            f"--- estimate: about {plan.input_tokens:,} input tokens (prompt + schema) and "
            f"{plan.output_tokens:,} output tokens; no call made"
        )
        asked += 1
        total += Usage(plan.input_tokens, plan.output_tokens)
    warn_if_retiring(settings.models)
    note_unsent_effort(settings)
    left = len(topics) - asked
    counted = f"{asked} to ask for" + (f", {left} left as they are (no call)" if left else "")
    if batch:
        typer.echo(f"--- {len(topics)} topic(s) in batches, {counted}: {batch_estimate(settings, total)}")
        return
    from topicgen.model.costs import price_for

    price = price_for(settings.model, settings.prices)
    cost = f"about ${price.cost(total):.4f}" if price else f"no price known for {settings.model}"
    if price and len(settings.models) > 1:
        cost += f" at {settings.model}'s price"
    typer.echo(
        f"--- {len(topics)} topic(s) with {models_text(settings)}, {counted}: about "
        f"{total.input_tokens:,} input and {total.output_tokens:,} output tokens, {cost}; no call made"
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of a topic page (what models are asked to return)."""
    from topicgen.page.schema import schema_text

    sys.stdout.write(schema_text())


@app.command()
@reports_errors
def render(
    reply: Annotated[
        Path,
        typer.Argument(
            metavar="REPLY.json",
            help="A saved reply: the page as JSON, {topic, page}, or a recorded exchange (EXCHANGE.json).",
        ),
    ],
    topic: Annotated[
        str | None, typer.Option(metavar="NAME", help="The topic name (needed unless the file records it).")
    ] = None,
    vault: VaultOption = None,
) -> None:
    """Render a saved JSON reply to Markdown on stdout, linking the vault's notes."""
    from topicgen.config import locate_vault
    from topicgen.runs.api import render_saved_reply

    root = locate_vault(vault, required=False).root
    sys.stdout.write(render_saved_reply(reply, topic, root) + "\n")
