"""Drafting new pages: topic → prompt → client → validate → render → vault.

``Drafter`` turns one topic name into an ``Outcome``: it asks for the whole
page (or takes it from the reply cache), renders it against the vault's notes
and writes it atomically under the page's lock.
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from topicgen.errors import ModelError, PageLockedError, VaultError
from topicgen.model.clients.base import Usage
from topicgen.model.redact import redact
from topicgen.page.render import render_page
from topicgen.runs.workshop import Outcome, Status, Workshop
from topicgen.vault.files import NotText, PageExists, page_lock, read_page_text, write_atomic
from topicgen.vault.frontmatter import frontmatter_data, raw_frontmatter
from topicgen.vault.notes import read_note
from topicgen.vault.slugs import names_page


class Drafter(Workshop):
    """Drafts new topic pages into a vault with one model client."""

    def __init__(self, *args: Any, to_stdout: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.to_stdout = to_stdout

    async def draft(self, topic: str) -> Outcome:
        context = self.view.context(topic)
        path = self.vault.topic_path(context.slug)
        owner = _other_topic(path) if not self.to_stdout else None
        if owner is not None:
            detail = f"{path.name} is the page of {owner!r}, another topic; name this one differently"
            return Outcome(topic, Status.FAILED, path, detail)
        if path.exists() and not self.force and not self.to_stdout:
            return Outcome(topic, Status.EXISTS, path, "already exists; --force replaces it")
        spent: list[Usage] = []
        try:
            # a printed page touches nothing in the vault, so it needs no lock
            lock = nullcontext() if self.to_stdout else page_lock(self.vault.lock_dir, context.slug)
            with lock:
                # read the page being replaced first: if it can't be read, fail before paying for a reply
                previous = _previous_frontmatter(path) if self.force else None
                created = previous is None and not path.exists()
                result = await self.ask(topic, spent)
                page, references = await self.ground(topic, result.page, spent)
                text = render_page(page, context, self.provenance(references.verified), previous)
                usage = sum(spent, Usage()) if spent else result.usage
                if self.to_stdout:
                    printed = Outcome(topic, Status.PRINTED, None, "", usage, result.attempts, text)
                    return replace(printed.with_generation(result), references=references)
                write_atomic(path, text, overwrite=self.force)
        except PageExists as error:
            return Outcome(topic, Status.EXISTS, path, str(error), sum(spent, Usage()))
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
            created=created,
        ).with_generation(result)
        return replace(written, references=references)


def _other_topic(path: Path) -> str | None:
    """The title of the page at ``path`` when it names a different topic, else None.

    A page whose own title (or an alias) maps to another slug is another
    topic's: a long name cut to 80 characters before slugs carried a hash, say.
    Replacing it would lose that topic's page. A page with no title of its own
    (only its file name) is taken to be the topic's.
    """
    if not path.is_file() or path.is_symlink():
        return None
    try:
        note = read_note(path)
    except OSError:
        return None
    names = (note.title, *note.aliases)
    if note.title == path.stem or "\ufffd" in note.title or any(names_page(n, path.stem) for n in names):
        return None
    return note.title


def _previous_frontmatter(path: Path) -> str | None:
    if not os.path.lexists(path):
        return None
    try:
        raw = raw_frontmatter(read_page_text(path))
        if raw is not None:
            frontmatter_data(raw, path.name)  # hostile YAML fails this page before a reply is paid for
        return raw
    except NotText:
        raise VaultError(f"cannot read {path}: not UTF-8 text") from None
