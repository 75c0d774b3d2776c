"""One topic, start to finish: topic → prompt → client → validate → render → vault.

``Drafter`` holds what every topic in a run shares (vault, settings, client,
prompts, the vault's note indexes) and turns one topic name into an
``Outcome``. Failures of one topic become that topic's outcome; they never
stop the others.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from topicgen.cache import ReplyCache
from topicgen.clients.base import Message, ModelClient, Usage
from topicgen.config import Settings
from topicgen.errors import ModelError, PageLockedError, VaultError
from topicgen.fingerprint import shipped_schema_text
from topicgen.generate import Generation, generate_page
from topicgen.prompt import Prompts, fingerprint
from topicgen.redact import redact
from topicgen.render import PageContext, Provenance, relative_href, render_page
from topicgen.schema import TopicSummary, page_json_schema
from topicgen.vault import Vault
from topicgen.vault.files import PageExists, page_lock, sweep_temporaries, write_atomic
from topicgen.vault.frontmatter import raw_frontmatter
from topicgen.vault.notes import NoteIndex
from topicgen.vault.slugs import slug_for


class Status(StrEnum):
    WRITTEN = "written"
    EXISTS = "exists"  # a page that is already there: done, not an error
    PRINTED = "printed"
    UNCHANGED = "unchanged"  # nothing to regenerate
    FAILED = "failed"


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


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class VaultView:
    """The vault as rendering sees it: settings, and the notes pages may link to."""

    vault: Vault
    settings: Settings
    books: NoteIndex
    topics: NoteIndex

    @classmethod
    def scan(cls, vault: Vault, settings: Settings) -> VaultView:
        return cls(vault, settings, NoteIndex.scan(vault.books_dir), NoteIndex.scan(vault.topics_dir))

    def context(self, topic: str, page: Path | None = None) -> PageContext:
        """How ``topic``'s page renders; an existing ``page`` keeps its own file name as its slug."""
        return PageContext(
            topic=topic,
            slug=page.stem if page is not None else slug_for(topic),
            books=self.books,
            topics=self.topics,
            site_url=self.settings.site_url,
            hard_breaks=self.settings.trailing_spaces,
            books_href=relative_href(self.vault.topics_dir, self.vault.books_dir),
        )


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
    ) -> None:
        self.vault = vault
        self.settings = settings
        self.client = client
        self.prompts = prompts or Prompts(vault.root)
        self.force = force
        self.clock = clock
        self.cache = cache
        self.fingerprint = fingerprint(self.prompts, shipped_schema_text())
        self.view = VaultView.scan(vault, settings)
        sweep_temporaries(vault.topics_dir, vault.lock_dir)

    def provenance(self) -> Provenance:
        return Provenance(self.settings.model, self.clock(), self.fingerprint)

    async def ask(
        self,
        topic: str,
        spent: list[Usage],
        *,
        messages: list[Message] | None = None,
        model: type[BaseModel] = TopicSummary,
    ) -> Generation:
        """The sections of ``model`` from the reply cache or the model; all usage goes to ``spent``."""
        return await generate_page(
            self.client,
            self.prompts,
            topic,
            reasks=self.settings.reasks,
            max_output_tokens=self.settings.max_output_tokens,
            messages=messages,
            model=model,
            schema=page_json_schema(model),
            on_usage=spent.append,
            cache=self.cache,
        )


class Drafter(Workshop):
    """Drafts new topic pages into a vault with one model client."""

    def __init__(self, *args: Any, to_stdout: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.to_stdout = to_stdout

    async def draft(self, topic: str) -> Outcome:
        context = self.view.context(topic)
        path = self.vault.topic_path(context.slug)
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
                text = render_page(result.page, context, self.provenance(), previous)
                if self.to_stdout:
                    return Outcome(topic, Status.PRINTED, None, "", result.usage, result.attempts, text)
                write_atomic(path, text, overwrite=self.force)
        except PageExists as error:
            return Outcome(topic, Status.EXISTS, path, str(error), sum(spent, Usage()))
        except (ModelError, PageLockedError, VaultError) as error:
            return Outcome(topic, Status.FAILED, path, redact(str(error)), sum(spent, Usage()))
        detail = "from the reply cache" if result.cached else ""
        return Outcome(
            topic,
            Status.WRITTEN,
            path,
            detail,
            result.usage,
            result.attempts,
            cached=result.cached,
            created=created,
        )


def _previous_frontmatter(path: Path) -> str | None:
    try:
        return raw_frontmatter(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise VaultError(f"cannot read {path}: {error}") from None
