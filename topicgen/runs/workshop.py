"""What every page job of a run shares, and what one job reports.

``Workshop`` holds what the jobs of one run have in common (vault, settings,
client, prompts, reply cache, the vault as rendering sees it) and asks the
model for a page or some of its sections. ``Drafter``, ``Regenerator`` and
``Adopter`` are the page jobs built on it; each turns one item into an
``Outcome``. A failure of one page becomes that page's outcome and never
stops the others.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from topicgen.config import Settings
from topicgen.errors import VaultError
from topicgen.model.clients.base import Message, ModelClient, Usage
from topicgen.model.fingerprint import shipped_schema_text
from topicgen.model.generate import Generation, generate_page, request_schema
from topicgen.model.prompt import Prompts, fingerprint
from topicgen.model.reply_cache import ReplyCache
from topicgen.vault import Vault
from topicgen.vault.files import read_page_text, sweep_temporaries, write_atomic

# What a page needs only once its reply is in (rendering, the vault's notes, reference checks) is
# imported when first used, so none of it is loaded, or scanned, before a run's first request.
if TYPE_CHECKING:
    from topicgen.page.render import Provenance
    from topicgen.upkeep.view import VaultView
    from topicgen.verify.checker import PageReferences, Verifier


class Status(StrEnum):
    WRITTEN = "written"
    EXISTS = "exists"  # a page that is already there: done, not an error
    PRINTED = "printed"
    UNCHANGED = "unchanged"  # nothing to regenerate
    FAILED = "failed"
    QUEUED = "in a batch"  # its request is in a provider batch not collected yet (batch runs)


@dataclass
class Outcome:
    topic: str
    status: Status
    path: Path | None = None
    detail: str = ""
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0
    text: str | None = None  # the page, when printed rather than written
    kept: tuple[str, ...] = ()  # sections a person edited, kept as they are
    cached: bool = False  # the reply came from the reply cache: no tokens spent
    created: bool = False  # a page that did not exist before this run
    notes: tuple[str, ...] = ()  # drift accepted and normalised (topicgen.page.drift), never a call
    reasked: tuple[str, ...] = ()  # sections asked for again on their own
    reask_usage: Usage = field(default_factory=Usage)  # tokens the re-asks cost (part of ``usage``)
    references: PageReferences | None = None  # what checking its books and videos found (issue 11)
    estimate: Usage | None = None  # a dry run's token estimate for what the model would be asked
    model: str | None = None  # the model of a fallback chain that wrote it (None: the run's one model)

    def with_generation(self, generation: Generation | None) -> Outcome:
        """This outcome carrying what a generation noted and re-asked, and the chain's model that wrote it."""
        if generation is None:
            return self
        return replace(
            self,
            notes=generation.notes,
            reasked=generation.reasked,
            reask_usage=generation.reask_usage,
            model=generation.spec,
        )

    # what a person should look at in a page that did not fail (text left out, references that
    # could not be verified, ...): one short phrase each; a page with warnings is listed in the
    # run's summary
    warnings: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()  # sections a person edited, replaced all the same (--force): named


CHARS_PER_TOKEN = 4  # a rough, provider-neutral estimate; real counts come back in usage


def request_tokens(messages: list[Message], model: type[BaseModel] | None = None) -> int:
    """Input tokens of a request, estimated from exactly what is sent: the messages and the schema
    (the whole page's when ``model`` is None)."""
    schema = json.dumps(request_schema(model), ensure_ascii=False)
    return (sum(len(message.content) for message in messages) + len(schema)) // CHARS_PER_TOKEN


def page_mtime(path: Path) -> int | None:
    """When a page was last written (ns), for ``Workshop.ask``'s ``newer_than``; None if it is not there."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


async def write_whole(
    path: Path, text: str, *, overwrite: bool, unless_changed_from: str | None = None
) -> None:
    """``write_atomic`` in a worker thread, so the event loop goes on sending requests while the page
    is fsynced. A stop (Ctrl-C) during the write waits for it: the page and its outcome land together.

    With ``unless_changed_from`` (the page as it was read), a page that changed since is not written:
    ``VaultError``, and the person's change stays.
    """
    write = functools.partial(_write_unless_changed, path, text, overwrite, unless_changed_from)
    writing = asyncio.ensure_future(asyncio.to_thread(write))
    try:
        await asyncio.shield(writing)
    except asyncio.CancelledError:
        await writing  # milliseconds; the page is finished, as Ctrl-C promises for replies in hand


def _write_unless_changed(path: Path, text: str, overwrite: bool, read: str | None) -> None:
    if read is not None and read_page_text(path) != read:
        raise VaultError(f"{path.name} changed while it was being regenerated; run again")
    write_atomic(path, text, overwrite=overwrite)


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Workshop:
    """What every page job of a run shares: vault, settings, client, prompts, reply cache."""

    def __init__(
        self,
        vault: Vault,
        settings: Settings,
        client: ModelClient,
        *,
        prompts: Prompts | None = None,
        force: bool = False,
        clock: Callable[[], str] = utc_now,
        cache: ReplyCache | None = None,
        verify: bool = False,
        fresh: bool = False,
    ) -> None:
        self.vault = vault
        self.settings = settings
        self.client = client
        self.prompts = prompts or Prompts(vault.root)
        self.force = force
        self.clock = clock
        self.cache = cache.fresh() if cache is not None and fresh else cache
        self.fingerprint = fingerprint(self.prompts, shipped_schema_text())
        self._verify = verify
        sweep_temporaries(vault.topics_dir, vault.lock_dir)

    writes_pages = True  # False for a run that only prints: it leaves the scan cache as it found it

    @functools.cached_property
    def view(self) -> VaultView:
        """The vault as rendering sees it, scanned when a page first needs it (after the first reply,
        not before the first request: a large vault's notes take a while to read)."""
        from topicgen.upkeep.view import VaultView

        return VaultView.scan(self.vault, self.settings, remember=self.writes_pages)

    @functools.cached_property
    def verifier(self) -> Verifier | None:
        """The run's reference checker (built on first use), or None when checks are off."""
        return verifier_for(self.vault, self.settings, self.view) if self._verify else None

    def provenance(self, verified: bool | None = None, generation: Generation | None = None) -> Provenance:
        """What the page's frontmatter records: the model that wrote it (``generation``'s, in a
        fallback chain), when, from which prompt and schema, and whether its references were checked."""
        from topicgen.page.render import Provenance

        model = generation.spec if generation is not None and generation.spec else self.settings.model
        return Provenance(model, self.clock(), self.fingerprint, verified)

    async def ground(
        self, topic: str, page: BaseModel, spent: list[Usage], *, newer_than: int | None = None
    ) -> tuple[BaseModel, PageReferences]:
        """``page`` with its books and YouTube links checked (see ``topicgen.runs.references``).

        The books re-ask goes through the reply cache as ``ask`` does, with the same ``newer_than``.
        """
        from topicgen.runs.references import ground

        return await ground(
            self.verifier,
            self.client,
            self.prompts,
            topic,
            page,
            spent,
            max_output_tokens=self.settings.max_output_tokens,
            cache=self.cache.newer_than(newer_than) if self.cache is not None else None,
        )

    async def aclose(self) -> None:
        """Close the reference checker and tidy the state folder: a run that wrote nothing leaves
        nothing behind (no empty lock folder, no state folder holding only its ``.gitignore``)."""
        verifier = self.__dict__.get("verifier")  # never built: nothing to close
        try:
            if verifier is not None:
                await verifier.aclose()
        finally:
            self.vault.tidy_state()

    async def ask(
        self,
        topic: str,
        spent: list[Usage],
        *,
        messages: list[Message] | None = None,
        model: type[BaseModel] | None = None,
        current_page: str | None = None,
        newer_than: int | None = None,
    ) -> Generation:
        """The sections of ``model`` from the reply cache or the model; all usage goes to ``spent``.

        ``current_page`` is the page the request shows the model (regen, adopt), reused as the
        context of any section re-ask. ``newer_than`` is the mtime (ns) of the page being
        replaced: a cached reply no newer than it is the one the page was made from, so the
        model is asked again.
        """
        generation = await generate_page(
            self.client,
            self.prompts,
            topic,
            reasks=self.settings.reasks,
            max_output_tokens=self.settings.max_output_tokens,
            messages=messages,
            model=model,
            schema=request_schema(model),
            on_usage=spent.append,
            cache=self.cache.newer_than(newer_than) if self.cache is not None else None,
            current_page=current_page,
        )
        chained = len(self.settings.models) > 1  # one model: the page records it as configured
        return generation if chained else replace(generation, spec=None)


def verifier_for(vault: Vault, settings: Settings, view: VaultView) -> Verifier | None:
    """The run's reference checker, or None when checks are off or the run is replayed (offline)."""
    if not settings.verify.enabled or settings.model.startswith("replay:"):
        return None
    from topicgen.verify.cache import LookupCache
    from topicgen.verify.checker import Verifier

    cache = LookupCache.of_vault(vault.state_dir, settings.verify.cache_days)
    return Verifier(settings.verify, cache=cache, books=view.books)
