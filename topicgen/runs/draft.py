"""Drafting new pages: topic → prompt → client → validate → render → vault.

``Drafter`` turns one topic name into an ``Outcome``: it asks for the whole
page (or takes it from the reply cache), renders it against the vault's notes
and writes it atomically under the page's lock.

A page that is already there is replaced only with ``force``, and only when
topicgen wrote it: then the page is regenerated whole the way ``regen
--force`` does it, keeping the frontmatter keys, sections and notes a person
added. A page topicgen did not write (no AI summary, or no generation
metadata) is a person's note: ``new`` refuses it and points at ``adopt``,
which keeps its text and shows the change first (``--dry-run``).
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from topicgen.errors import ModelError, PageLockedError, VaultError
from topicgen.model.clients.base import Usage
from topicgen.model.offload import off_loop
from topicgen.model.redact import redact
from topicgen.runs.workshop import Outcome, Status, Workshop, page_mtime, write_whole
from topicgen.vault import Vault
from topicgen.vault.files import PageExists, page_lock, read_regular
from topicgen.vault.slugs import slug_for

# Rendering, reading existing pages and regenerating them (--force) are imported where they are
# used: a new page needs none of them before its request is sent.
if TYPE_CHECKING:
    from topicgen.model.generate import Generation
    from topicgen.runs.regen import Regenerator


def not_ours(path: Path, vault: Vault | None = None) -> str | None:
    """Why ``new --force`` must not replace the page at ``path`` (a person's note), or None.

    A page is topicgen's when its frontmatter carries generation metadata and
    its body has an AI summary; anything else is left to ``adopt``.
    """
    from topicgen.read.parse import PageKind, parse_page
    from topicgen.upkeep.staleness import page_state

    try:
        raw = read_regular(path)
    except VaultError as error:  # a link, a device, too large: never ours to replace
        return str(error)
    except OSError as error:
        return f"cannot read {path.name}: {error.strerror or error}"
    state = page_state(path, raw)
    if state.problem is None and state.generated:
        try:
            if parse_page(raw.decode("utf-8")).kind is not PageKind.NO_SUMMARY:
                return None
        except UnicodeDecodeError:
            pass
    shown = _shown(path, vault)
    return (
        f"{shown} was not written by topicgen; --force replaces only topicgen's pages "
        f"(`topicgen adopt {shown}` takes it over, keeping your text)"
    )


def _shown(path: Path, vault: Vault | None) -> str:
    if vault is not None:
        try:
            return path.relative_to(vault.root).as_posix()
        except ValueError:
            pass
    return str(path)


class Drafter(Workshop):
    """Drafts new topic pages into a vault with one model client."""

    def __init__(self, *args: Any, to_stdout: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.to_stdout = to_stdout
        self.writes_pages = not to_stdout
        self._regenerator: Regenerator | None = None
        from topicgen.upkeep.owners import FileClaims

        self._claims = FileClaims()  # two names of one file in a run: the first drafts the page

    async def draft(self, topic: str) -> Outcome:
        slug = slug_for(topic)
        path = self.vault.topic_path(slug)
        owner = self._claims.owner(path, topic) if not self.to_stdout else None
        if owner is not None:
            return Outcome(topic, Status.FAILED, path, another_topics_page(path, owner, self.vault))
        if os.path.lexists(path) and not self.to_stdout:
            if not self.force:
                return Outcome(topic, Status.EXISTS, path, "already exists; --force replaces it")
            return await self._replace(topic, path)
        spent: list[Usage] = []
        try:
            # a printed page touches nothing in the vault, so it needs no lock
            lock = nullcontext() if self.to_stdout else page_lock(self.vault.lock_dir, slug)
            with lock:
                # a printed preview of an existing page is a new draft, not the reply the page came from
                since = page_mtime(path) if self.to_stdout else None
                result = await self.ask(topic, spent, newer_than=since)
                page, references = await self.ground(topic, result.page, spent, newer_than=since)
                text = await off_loop(self.render, page, topic, references.verified, result)
                usage = sum(spent, Usage()) if spent else result.usage
                if self.to_stdout:
                    printed = Outcome(topic, Status.PRINTED, None, "", usage, result.attempts, text)
                    return replace(printed.with_generation(result), references=references)
                await write_whole(path, text, overwrite=False)  # a page that appeared meanwhile is not ours
        except PageExists:
            detail = "appeared while it was being drafted; left as it is"
            return Outcome(topic, Status.EXISTS, path, detail, sum(spent, Usage()))
        except (ModelError, PageLockedError, VaultError) as error:
            return Outcome(topic, Status.FAILED, path, redact(str(error)), sum(spent, Usage()))
        detail = "from the reply cache" if result.cached else ""
        written = Outcome(
            topic,
            Status.WRITTEN,
            path,
            detail,
            usage,
            result.attempts,
            cached=result.cached,
            created=True,
        ).with_generation(result)
        return replace(written, references=references)

    def render(
        self, page: Any, topic: str, verified: bool | None, generation: Generation | None = None
    ) -> str:
        from topicgen.page.render import render_page

        return render_page(page, self.view.context(topic), self.provenance(verified, generation))

    async def _replace(self, topic: str, path: Path) -> Outcome:
        """``--force`` on an existing page: regenerate it whole if topicgen wrote it, else refuse."""
        from topicgen.runs.regen import Regenerator, RegenJob
        from topicgen.upkeep.staleness import ALL_KEYS, read_page_state, topic_of

        refusal = not_ours(path, self.vault)
        if refusal is not None:
            return Outcome(topic, Status.FAILED, path, refusal)
        if self._regenerator is None:
            self._regenerator = Regenerator(
                self.vault,
                self.settings,
                self.client,
                prompts=self.prompts,
                force=True,
                clock=self.clock,
                cache=self.cache,
            )
            self._regenerator.verifier = self.verifier  # one reference checker, closed with this job
        state = read_page_state(path)  # the page keeps its own name ('Rust' asked for as 'rust')
        edited = tuple(key for key in ALL_KEYS if key in state.edited)
        job = RegenJob(path, topic_of(state.title, path), ALL_KEYS, (), ("--force",), replaces=edited)
        return await self._regenerator.regen(job)


def another_topics_page(path: Path, owner: str, vault: Vault | None = None) -> str:
    """Why a topic fails when its file is the page of ``owner``: one line naming that topic."""
    from topicgen.upkeep.owners import held_by_another

    return held_by_another(_shown(path, vault), owner)


def other_topic(path: Path, topic: str) -> str | None:
    """The topic whose page is at ``path`` when it is not ``topic``'s, else None.

    Two names that share a file name are two topics (``C++`` and ``C Plus
    Plus``): replacing the page would lose the other topic's (see
    ``topicgen.upkeep.owners``).
    """
    from topicgen.upkeep.owners import holder

    return holder(path, topic)
