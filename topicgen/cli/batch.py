"""``--batch`` for new, regen and adopt, and ``topicgen batch status|collect|cancel|clean``.

A batch run waits for its batches by default (polling with backoff, a line
on stderr as they progress) and writes pages as replies come back;
``--no-wait`` prints the batch ids on stdout and exits. What a run submitted
is recorded in the vault, so ``batch collect`` (or the same command again)
finishes it, ``batch cancel`` stops what is in flight, and ``batch clean``
removes what the vault keeps of batches whose pages are all written.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from topicgen.cli.app import (
    PlainHelpTyper,
    PlainOption,
    ReaskOption,
    VaultOption,
    VerboseOption,
    app,
    display,
    execute,
    finish,
    open_cli_vault,
    refuse_retired_model,
    reports_errors,
    say,
)
from topicgen.errors import UsageError

batch_app = PlainHelpTyper(
    name="batch",
    help="Batches this vault has in flight: their status; collect their results; cancel them; clean up.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(batch_app)


def check_batch_flags(*, batch: bool, no_wait: bool, reask: str, output: str | None = None) -> None:
    """The batch flags make sense together (one line, exit 2, before anything is spent)."""
    if reask not in ("batch", "live"):
        raise UsageError(f"--reask takes 'batch' or 'live', not {reask!r}")
    if not batch and (no_wait or reask != "batch"):
        raise UsageError("--no-wait and --reask go with --batch")
    if batch and output == "-":
        raise UsageError("--batch writes pages into the vault; it cannot print one (--output -)")


@dataclass(frozen=True)
class Batched:
    """How a run's requests go through a batch API: ``--no-wait`` and ``--reask``."""

    no_wait: bool
    reask: str


def run_settings(settings: Any, *, batch: bool) -> Any:
    """The settings a command that asks a model runs with: its models checked (a retired one refused,
    exit 2, before anything is planned or spent), and for ``--batch`` the model that takes the batches
    (a chain's first with a batch API; none is the run's own usage error, in a dry run too)."""
    refuse_retired_model(settings)
    if not batch:
        return settings
    settings = batch_settings(settings)
    check_batch_model(settings)
    return settings


def check_batch_model(settings: Any) -> None:
    """``--batch`` with a model whose provider has no batch API: the run's own usage error (exit 2),
    raised before a dry run prints its plan, so the dry run says what the run would."""
    from topicgen.model.clients.batch import require_batch_api

    require_batch_api(settings.model)


def batch_settings(settings: Any) -> Any:
    """A batch run's settings: of a fallback chain, the first model with a batch API, alone
    (``runs.batch.api.for_batches``); one line says which when it is not the chain's first."""
    if len(settings.models) == 1:
        return settings
    from topicgen.runs.batch.api import for_batches

    chosen = for_batches(settings)
    if chosen.model != settings.model:
        say(f"--batch: the batches go to {chosen.model}, the chain's first model with a batch API")
    return chosen


def run_in_batches(
    vault: Any,
    settings: Any,
    command: Any,
    doing: str,
    no_wait: bool = False,
    reask: str = "batch",
    record: Path | None = None,
    shown: Any = None,
    *,
    retry: bool = True,
) -> None:
    """Run ``command`` in batches with progress and the usual summary; exit as a live run would.

    ``doing`` names the work for the progress display ("drafting", "regenerating"); ``shown``
    is the display (a plain one when not given).
    """
    wait = not no_wait
    shown = shown or display(vault, plain=False, verbose=False)
    from topicgen.runs.batch.api import batch_runner

    runner = batch_runner(
        vault,
        settings,
        command,
        wait=wait,
        retry=retry,
        reask_live=reask == "live",
        record=record,
        notify=shown.say,
    )
    description = f"{doing} in batches with {settings.model}"
    report = execute(
        runner, lambda r: r.run(), total=len(command.items), description=description, display=shown
    )
    if not wait:
        for batch in report.batches:
            if batch.batch_id and batch.in_flight:
                typer.echo(batch.batch_id)
    finish(vault, settings, report, display=shown, batch=True)


@batch_app.command()
@reports_errors
def status(
    vault: VaultOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per batch, for scripts.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Collected batches too.")] = False,
) -> None:
    """The vault's batches: id, model, state, requests done and failed (asking the provider)."""
    import asyncio  # here, not at the top: every command imports this module at start-up

    from topicgen.runs.batch.store import BatchStore

    the_vault, settings, _ = open_cli_vault(vault)
    store = BatchStore.of_vault(the_vault.state_dir)
    records = [record for record in store.batches() if show_all or record.in_flight]
    asyncio.run(_refresh(the_vault, settings, records))
    for record in records:
        row = {
            "name": record.name,
            "provider": record.provider,
            "model": record.spec,
            "batch_id": record.batch_id,
            "state": record.state,
            "provider_state": record.provider_state,
            "requests": record.requests,
            "succeeded": record.succeeded,
            "failed": record.failed,
        }
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"{record.batch_id or '-'}  {record.spec}  {record.state}"
                f"{' (' + record.provider_state + ')' if record.provider_state else ''}  "
                f"{record.succeeded + record.failed}/{record.requests} done, {record.failed} failed  "
                f"[{record.name}]"
            )
    if not as_json:
        say(f"{len(records)} batch(es){'' if show_all else ' in flight'}")


async def _refresh(vault: Any, settings: Any, records: list[Any]) -> None:
    """Ask each model's provider for its batches in flight; a provider out of reach is said, not fatal."""
    from topicgen.errors import TopicgenError
    from topicgen.runs.batch.api import batch_client_for

    by_spec: dict[str, list[Any]] = {}
    for record in records:
        if record.batch_id and record.in_flight:
            by_spec.setdefault(record.spec, []).append(record)
    for spec, group in by_spec.items():
        try:
            client = batch_client_for(settings.model_copy(update={"model": spec}))
        except TopicgenError as error:  # no key here, say: show what the vault recorded
            say(f"warning: {spec}: {error}; showing the state recorded in the vault")
            continue
        try:
            for record in group:
                try:
                    found = await client.status(record.batch_id)
                except TopicgenError as error:
                    say(f"warning: {record.batch_id}: {error}")
                    continue
                record.provider_state, record.succeeded, record.failed = (
                    found.state,
                    found.succeeded,
                    found.failed,
                )
        finally:
            await client.aclose()


@batch_app.command()
@reports_errors
def collect(
    vault: VaultOption = None,
    retry: Annotated[
        bool,
        typer.Option("--retry", help="Send expired, cancelled and failed requests again, in a new batch."),
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Collect what has ended; do not wait for the rest.")
    ] = False,
    reask: ReaskOption = "batch",
    plain: PlainOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Finish the vault's batch runs: collect their batches and write their pages, as the commands would."""
    from topicgen.runs.batch.api import command_of, describe
    from topicgen.runs.batch.store import BatchStore

    check_batch_flags(batch=True, no_wait=no_wait, reask=reask)
    the_vault, settings, _ = open_cli_vault(vault)
    runs = [run for run in BatchStore.of_vault(the_vault.state_dir).runs() if not run.done]
    if not runs:
        say("no batch runs to collect")
        return
    worst = 0
    for run in runs:
        run_settings = settings.model_copy(update={"model": run.spec})
        command = command_of(the_vault, run_settings, run)
        say(f"collecting: {describe(run.args, run.kind)} ({run.spec})")
        try:
            shown = display(the_vault, plain=plain, verbose=verbose)
            run_in_batches(
                the_vault, run_settings, command, "collecting", no_wait, reask, None, shown, retry=retry
            )
        except typer.Exit as stop:
            worst = max(worst, stop.exit_code)
            if stop.exit_code == 130:
                break
    if worst:
        raise typer.Exit(worst)


@batch_app.command()
@reports_errors
def cancel(
    batch_ids: Annotated[
        list[str] | None,
        typer.Argument(metavar="BATCH_ID", help="Batch ids or names (default: all in flight)."),
    ] = None,
    vault: VaultOption = None,
) -> None:
    """Cancel batches in flight; what they finished is still collected, the rest can be sent again."""
    import asyncio  # here, not at the top: every command imports this module at start-up

    from topicgen.runs.batch.api import batch_client_for
    from topicgen.runs.batch.store import SUBMITTED, BatchStore

    the_vault, settings, _ = open_cli_vault(vault)
    wanted = set(batch_ids or [])
    records = [
        record
        for record in BatchStore.of_vault(the_vault.state_dir).batches()
        if record.state == SUBMITTED and (not wanted or {record.batch_id, record.name} & wanted)
    ]
    if wanted and not records:
        raise UsageError(
            f"no batch in flight named {', '.join(sorted(wanted))} (see `topicgen batch status`)"
        )

    async def cancel_all() -> None:
        for record in records:
            client = batch_client_for(settings.model_copy(update={"model": record.spec}))
            try:
                found = await client.cancel(record.batch_id)
            finally:
                await client.aclose()
            typer.echo(f"{record.batch_id}  {found.state}")

    asyncio.run(cancel_all())
    say(f"{len(records)} batch(es) cancelled; `topicgen batch collect` gathers what they finished")


@batch_app.command()
@reports_errors
def clean(
    vault: VaultOption = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be removed; remove nothing."),
) -> None:
    """Remove what the vault keeps of batches whose results are all collected and written (never one in
    flight, nor one holding replies a page still waits for). Prints the batch ids removed."""
    from topicgen.runs.batch.store import BatchStore
    from topicgen.vault.files import size_text

    the_vault, _, _ = open_cli_vault(vault)
    store = BatchStore.of_vault(the_vault.state_dir)
    if not store.folder.is_dir():
        say("no batches recorded in this vault")
        return
    with store.lock():
        removed, kept, freed = store.clean(dry_run=dry_run)
    for record in removed:
        typer.echo(record.batch_id or record.name)
    reasons: dict[str, int] = {}
    for _, why in kept:
        reasons[why] = reasons.get(why, 0) + 1
    kept_text = "; ".join(f"{count} {why}" for why, count in reasons.items())
    verb = "would remove" if dry_run else "removed"
    say(f"{verb} {len(removed)} batch(es), {size_text(freed)}" + (f"; kept {kept_text}" if kept else ""))
