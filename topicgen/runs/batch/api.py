"""Library entry points for batch runs: the commands' work as batch ``Command``s, and a runner for them.

A command (``new``, ``regen``, ``adopt``) is kept with its arguments in the
vault, so ``topicgen batch collect`` can rebuild it later and finish it; its
items are worked out again from the vault as it is then (a page written
meanwhile is simply done; a page edited meanwhile is planned again).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from topicgen.config import Settings
from topicgen.errors import UsageError
from topicgen.model.clients.base import ModelClient, Usage
from topicgen.model.clients.batch import BatchClient, batch_model, create_batch_client
from topicgen.model.reply_cache import ReplyCache
from topicgen.runs.adopt import Adopter
from topicgen.runs.api import budget_price, build_client, client_options
from topicgen.runs.batch.runner import BatchRunner, Command
from topicgen.runs.batch.store import BatchStore, RunRecord
from topicgen.runs.draft import Drafter
from topicgen.runs.regen import Regenerator, RegenJob, job_for, plan_regen, resolve_targets
from topicgen.runs.workshop import Outcome, Workshop, verifier_for
from topicgen.upkeep.staleness import ALL_KEYS, assess, read_page_state
from topicgen.vault import Vault
from topicgen.vault.files import filesystem_now
from topicgen.vault.stat_cache import ScanCache
from topicgen.verify.checker import Verifier

KINDS = ("new", "regen", "adopt")
W = TypeVar("W", bound=Workshop)


def for_batches(settings: Settings) -> Settings:
    """The settings of a batch run: one model, a fallback chain's first that has a batch API.

    A batch is submitted to one model and recorded under it (``batch collect`` finishes it with
    that model), so a chain's other models take no part; with none that has a batch API, the
    chain's first is kept and ``create_batch_client`` says it has none."""
    if len(settings.models) == 1:
        return settings
    return settings.model_copy(update={"model": batch_model(settings.models) or settings.model})


def batch_client_for(settings: Settings, record: Path | None = None) -> BatchClient:
    """The batch client of the configured model (``record`` saves every exchange, minus secrets)."""
    return create_batch_client(settings.model, client_options(settings, record))


class References:
    """One reference checker for every pass of a batch run, as a live run has one for all its pages.

    Lookups are local HTTP work, not model calls: they run in the pass that has
    a page's reply, and the books re-ask of unknown books is deferred into the
    follow-up batch like any other section re-ask (or asked live with
    ``--reask live``); its valid answer goes to the reply cache like a page's
    reply (``run_cache``). Closed when the run ends (``Command.aclose``).
    """

    def __init__(self, vault: Vault, settings: Settings) -> None:
        self.vault = vault
        self.settings = settings
        self._verifier: Verifier | None = None

    def equip(self, workshop: W) -> W:
        """``workshop`` checking references with the run's checker (made on the first pass)."""
        if self._verifier is None:
            self._verifier = verifier_for(self.vault, self.settings, workshop.view)
        workshop.verifier = self._verifier
        return workshop

    async def aclose(self) -> None:
        if self._verifier is not None:
            await self._verifier.aclose()
            self._verifier = None


def run_cache(vault: Vault) -> ReplyCache:
    """The reply cache as a batch run reads it: replies stored before the run began.

    What the run validates itself is read again from its batch on a later pass
    (after a follow-up batch), so the page's tokens are counted with it.
    """
    return ReplyCache.of_vault(vault.state_dir).stored_before(filesystem_now(vault.state_dir))


def verify_args(settings: Settings) -> dict[str, Any]:
    """What a run's arguments record about reference checks: only that they are off (``--no-verify``),
    so ``batch collect`` finishes the run the same way."""
    return {} if settings.verify.enabled else {"verify": False}


def new_command(vault: Vault, settings: Settings, topics: list[str], *, force: bool = False) -> Command:
    cache = run_cache(vault)
    checks = References(vault, settings)
    return Command(
        "new",
        {"topics": topics, "force": force, **verify_args(settings)},
        topics,
        str,
        lambda client: checks.equip(Drafter(vault, settings, client, force=force, cache=cache)).draft,
        checks.aclose,
    )


def regen_command(
    vault: Vault,
    settings: Settings,
    *,
    targets: list[str],
    stale: bool,
    sections: list[str] | None,
    force: bool,
    jobs: list[RegenJob] | None = None,
    limit: int | None = None,
) -> Command:
    """Regen in batches; ``jobs`` (from ``plan_regen``) are worked out here when not given, and then
    only the first ``limit`` of them (``--limit``: the oldest stale pages), as the run that
    submitted them chose them.

    Each pass plans every page again from the page as it is then, so a section
    a person edits while its batch runs is kept, as it would be in a live run.
    """
    from topicgen.model.fingerprint import vault_fingerprint

    pages = [_in_vault(vault, target) for target in targets]
    current = vault_fingerprint(vault.root)
    if jobs is None:
        jobs, _ = plan_regen(
            vault.topics_dir,
            settings,
            current,
            targets=[str(vault.root / page) if page.endswith(".md") else page for page in pages],
            stale=stale,
            sections=sections,
            force=force,
            cache=ScanCache.of(vault, settings.scan_cache),
        )
        jobs = jobs[:limit] if limit is not None else jobs
    named = set(
        resolve_targets(vault.topics_dir, [str(vault.root / p) if p.endswith(".md") else p for p in pages])
    )
    cache = run_cache(vault)
    checks = References(vault, settings)

    def worker(client: ModelClient) -> Callable[[RegenJob], Awaitable[Outcome]]:
        regenerator = checks.equip(Regenerator(vault, settings, client, force=force, cache=cache))

        async def regen(job: RegenJob) -> Outcome:
            chosen = tuple(sections) if sections else (ALL_KEYS if job.path in named else None)
            assessment = assess(read_page_state(job.path), settings, current, datetime.now(UTC))
            return await regenerator.regen(job_for(assessment, chosen, force))

        return regen

    drip = {"limit": limit} if limit is not None else {}  # absent, not None: older runs keep their ids
    return Command(
        "regen",
        {
            "targets": pages,
            "stale": stale,
            "sections": sections,
            "force": force,
            **drip,
            **verify_args(settings),
        },
        jobs,
        lambda job: job.topic,
        worker,
        checks.aclose,
    )


def adopt_command(vault: Vault, settings: Settings, paths: list[Path], *, rewrite_unfit: bool) -> Command:
    cache = run_cache(vault)
    checks = References(vault, settings)

    def worker(client: ModelClient) -> Callable[[Path], Awaitable[Outcome]]:
        return checks.equip(Adopter(vault, settings, client, cache=cache, rewrite_unfit=rewrite_unfit)).adopt

    pages = [_in_vault(vault, str(path)) for path in paths]
    return Command(
        "adopt",
        {"pages": pages, "rewrite_unfit": rewrite_unfit, **verify_args(settings)},
        paths,
        lambda path: path.name,
        worker,
        checks.aclose,
    )


def command_of(vault: Vault, settings: Settings, run: RunRecord) -> Command:
    """The command a recorded batch run was started with, worked out again from the vault as it is."""
    args = run.args
    if args.get("verify") is False:  # started with --no-verify: finished without checks
        settings = settings.model_copy(
            update={"verify": settings.verify.model_copy(update={"enabled": False})}
        )
    if run.kind == "new":
        return new_command(vault, settings, list(args["topics"]), force=bool(args.get("force")))
    if run.kind == "regen":
        return regen_command(
            vault,
            settings,
            targets=list(args.get("targets") or []),
            stale=bool(args.get("stale")),
            sections=args.get("sections"),
            force=bool(args.get("force")),
            limit=args.get("limit"),
        )
    if run.kind == "adopt":
        paths = [vault.root / page for page in args.get("pages") or []]
        return adopt_command(
            vault, settings, [p for p in paths if p.is_file()], rewrite_unfit=bool(args.get("rewrite_unfit"))
        )
    raise UsageError(f"batch run {run.id} records an unknown command {run.kind!r}")


def _in_vault(vault: Vault, target: str) -> str:
    """A page argument as a path relative to the vault (topic names stay as they are)."""
    if not target.endswith(".md"):
        return target
    path = Path(target).expanduser().resolve()
    try:
        return path.relative_to(vault.root).as_posix()
    except ValueError:
        return target


def batch_cost(settings: Settings) -> Callable[[Usage], float] | None:
    """USD of a usage at the model's batch price; ``--max-cost`` needs one."""
    price = budget_price(settings, batch=True)
    return price.cost if price is not None else None


def batch_runner(
    vault: Vault,
    settings: Settings,
    command: Command,
    *,
    wait: bool = True,
    retry: bool = True,
    reask_live: bool = False,
    record: Path | None = None,
    client: BatchClient | None = None,
    live: ModelClient | None = None,
    notify: Callable[[str], None] = lambda _: None,
) -> BatchRunner:
    """A runner for ``command``: the model's batch client, and a live one for ``--reask live``."""
    cost = batch_cost(settings)
    client = client or batch_client_for(settings, record)
    if reask_live and live is None:
        live = build_client(settings, record)
    return BatchRunner(
        BatchStore.of_vault(vault.state_dir),
        settings,
        command,
        client,
        live=live,
        wait=wait,
        retry=retry,
        cost=cost,
        notify=notify,
    )


def pending_topics(vault: Vault, spec: str) -> list[str]:
    """Topics that unfinished ``new`` batch runs of this model asked for and that have no page yet:
    a ``grow --batch`` run takes them first, so the run after a ``--no-wait`` one collects what it
    submitted (a reply already in a batch costs nothing more) before it submits anything new."""
    from topicgen.vault.slugs import slug_for

    pending: list[str] = []
    for run in BatchStore.of_vault(vault.state_dir).runs():
        if run.done or run.kind != "new" or run.spec != spec:
            continue
        for topic in run.args.get("topics") or []:
            if topic not in pending and not os.path.lexists(vault.topic_path(slug_for(topic))):
                pending.append(topic)
    return pending


def describe(args: dict[str, Any], kind: str) -> str:
    """A recorded run's command, as a person would type it (for ``batch status``)."""
    if kind == "new":
        topics = args.get("topics") or []
        shown = ", ".join(topics[:3]) + (f" and {len(topics) - 3} more" if len(topics) > 3 else "")
        return f"new {shown}"
    if kind == "regen":
        what = " ".join(args.get("targets") or []) or ("--stale" if args.get("stale") else "")
        return f"regen {what}".strip()
    return f"adopt {len(args.get('pages') or [])} page(s)"
