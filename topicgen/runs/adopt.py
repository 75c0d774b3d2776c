"""Adopting pages topicgen did not write: rewrite them into the canonical shape, keeping every sentence.

Every section the parser could read is kept as it was read; the model is
asked only for what is missing (a schema of just those sections, with the
page as context), and not at all when nothing is. A section that does not fit
the outline is kept as the page wrote it, under its exact heading
(``--rewrite-unfit`` has the model redo it instead). Text no section can hold
(a chatty preamble, an extra joke, a table) is kept after the summary, as
written, never dropped. The page's own frontmatter keys and the text after
its summary survive; generation metadata is added so ``stale`` and ``regen``
treat the page like one topicgen wrote. A page whose frontmatter or title
cannot be read is left untouched and reported. Category pages, free-form
summaries, essays, pages without an AI summary and pages topicgen already
maintains are left alone.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from topicgen.errors import ModelError, PageLockedError, UsageError, VaultError
from topicgen.model.clients.base import Message, ModelClient, ModelReply, ModelRequest, Usage
from topicgen.model.generate import Generation
from topicgen.model.redact import redact
from topicgen.model.reply_cache import CachedReply, request_key
from topicgen.page.drift import PAGE_CONTEXT
from topicgen.page.outline import SECTIONS, Kind
from topicgen.page.schema import TopicSummary, page_json_schema
from topicgen.page.sections import section_model
from topicgen.read.adoption import REASONS_SHOWN, Adoption, plan_adoption
from topicgen.read.canonical import canonical_text
from topicgen.read.parse import TITLE_KEY
from topicgen.runs.workshop import Outcome, Status, Workshop, page_mtime, request_tokens
from topicgen.vault import Vault
from topicgen.vault.files import page_lock, read_page_text, read_regular, write_atomic
from topicgen.vault.frontmatter import split_page
from topicgen.verify.checker import PageReferences


def unified_diff(before: str, after: str, name: str) -> str:
    """The change as a unified diff, the way ``git diff`` shows it (``name`` relative to the vault)."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{name}",
        tofile=f"b/{name}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


class LazyClient:
    """A client built on first use, so adopting pages that miss nothing needs no model, key or network."""

    def __init__(self, spec: str, build: Callable[[], ModelClient]) -> None:
        self._spec = spec
        self._build = build
        self._client: ModelClient | None = None
        self._lock = asyncio.Lock()

    @property
    def spec(self) -> str:
        """The built client's (a fallback chain's changes as it moves on), else the configured model's."""
        return self._client.spec if self._client is not None else self._spec

    @property
    def specs(self) -> tuple[str, ...]:
        """A built fallback chain's models (``generate.answering_specs``)."""
        return getattr(self._client, "specs", ())

    async def complete(self, request: ModelRequest) -> ModelReply:
        async with self._lock:
            if self._client is None:
                self._client = self._build()
        return await self._client.complete(request)

    @property
    def stopped_by(self) -> Exception | None:
        return getattr(self._client, "stopped_by", None)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


class Adopter(Workshop):
    """Adopts pages one at a time (the engine runs several at once)."""

    def __init__(self, *args: Any, dry_run: bool = False, rewrite_unfit: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dry_run = dry_run
        self.rewrite_unfit = rewrite_unfit

    async def adopt(self, path: Path) -> Outcome:
        spent: list[Usage] = []
        try:
            if self.dry_run:
                return await self._adopt(path, spent)
            with page_lock(self.vault.lock_dir, path.stem):
                return await self._adopt(path, spent)
        except (ModelError, PageLockedError, VaultError) as error:
            return Outcome(path.name, Status.FAILED, path, redact(str(error)), sum(spent, Usage()))

    async def _adopt(self, path: Path, spent: list[Usage]) -> Outcome:
        before = read_page_text(path)
        adoption = plan_adoption(path, before, rewrite_unfit=self.rewrite_unfit)
        if adoption.left_alone:
            return Outcome(path.name, Status.UNCHANGED, path, f"left alone: {adoption.left_alone}")
        if adoption.refused:
            return Outcome(path.name, Status.FAILED, path, f"left untouched: {adoption.refused}")
        text, generation, references = await self.rewrite(adoption, spent)
        usage = generation.usage if generation else Usage()
        attempts = generation.attempts if generation else 0
        cached = bool(generation and generation.cached)
        detail = describe(adoption, cached)
        if text == before:
            return Outcome(path.name, Status.UNCHANGED, path, "already in the canonical shape")
        if self.dry_run:
            diff = unified_diff(before, text, _shown(path, self.vault.root)).rstrip("\n")
            printed = Outcome(path.name, Status.PRINTED, path, detail, usage, attempts, diff, cached=cached)
            estimate = self.estimate(adoption)
            return replace(
                printed.with_generation(generation), warnings=warnings_of(adoption), estimate=estimate
            )
        if read_page_text(path) != before:
            raise VaultError(f"{path.name} changed while it was being adopted; run again")
        write_atomic(path, text, overwrite=True)
        usage = sum(spent, Usage()) if spent else usage  # the books re-ask included
        written = Outcome(path.name, Status.WRITTEN, path, detail, usage, attempts, cached=cached)
        return replace(
            written.with_generation(generation), warnings=warnings_of(adoption), references=references
        )

    def estimate(self, adoption: Adoption) -> Usage:
        """Tokens the model would be asked for (a dry run's estimate, from the run's own request):
        none when nothing is missing, or when the reply cache already holds the answer."""
        if not adoption.asks or adoption.parsed.topic is None:
            return Usage()
        _, body = split_page(adoption.text)
        messages = self.prompts.section_messages(adoption.parsed.topic, list(adoption.asks), body.strip())
        model = section_model(adoption.asks)
        if self.cached_reply(adoption, messages, model) is not None:
            return Usage()
        share = len(adoption.asks) / len(SECTIONS)
        return Usage(request_tokens(messages, model), int(PAGE_OUTPUT_TOKENS * share))

    def cached_reply(
        self, adoption: Adoption, messages: list[Message], model: type[BaseModel]
    ) -> CachedReply | None:
        """The reply the run would take from the cache instead of asking the model, if there is one."""
        if self.cache is None:
            return None
        cache = self.cache.newer_than(page_mtime(adoption.path))
        return cache.get(request_key(self.client.spec, messages, page_json_schema(model)))

    async def rewrite(
        self, adoption: Adoption, spent: list[Usage]
    ) -> tuple[str, Generation | None, PageReferences | None]:
        """The adopted page's text, asking the model only for ``adoption.asks`` (their references checked).

        A dry run spends nothing: it uses a reply already in the cache, else
        shows placeholders where the model's sections would go.
        """
        parsed = adoption.parsed
        assert parsed.topic is not None
        context = replace(self.view.context(parsed.topic, adoption.path), wording=parsed.wording)
        data = parsed.data()
        for key in adoption.asks:
            data.pop(key, None)
        data.update({key: placeholder(key) for key in adoption.as_written})  # replaced by the page's lines
        generation, references = None, None
        if adoption.asks:
            model: type[BaseModel] = section_model(adoption.asks)
            _, body = split_page(adoption.text)
            messages = self.prompts.section_messages(parsed.topic, list(adoption.asks), body.strip())
            since = page_mtime(adoption.path)
            if self.dry_run:
                hit = self.cached_reply(adoption, messages, model)
                data.update(hit.data if hit else {key: placeholder(key) for key in adoption.asks})
            else:
                generation = await self.ask(
                    parsed.topic,
                    spent,
                    messages=messages,
                    model=model,
                    current_page=body.strip(),
                    newer_than=since,
                )
                written, references = await self.ground(
                    parsed.topic, generation.page, spent, newer_than=since
                )
                data.update(written.model_dump(mode="json"))
        page = TopicSummary.model_validate(data, context=PAGE_CONTEXT)
        as_written = {key: parsed.unfit_lines[key] for key in adoption.as_written}
        provenance = self.provenance(generation=generation)
        return canonical_text(parsed, page, context, provenance, as_written), generation, references


PAGE_OUTPUT_TOKENS = 3_000  # about what the reference page costs
PLACEHOLDER = "(the model writes this on adoption)"


def placeholder(key: str) -> Any:
    """Valid stand-in data for a section a dry run does not pay the model for."""
    if key == TITLE_KEY:
        return "❔"
    section = SECTIONS[key]
    items = [PLACEHOLDER] * section.min_items
    if section.kind is Kind.BULLETS:
        return items
    if section.kind is Kind.QUOTE:
        return PLACEHOLDER
    if section.kind is Kind.VIDEOS:
        video = {"name": PLACEHOLDER, "url": "https://www.youtube.com/", "description": PLACEHOLDER}
        return [video] * len(items)
    if section.kind is Kind.BOOKS:
        return {label.field: {"title": PLACEHOLDER, "authors": "-", "note": ""} for label in section.labels}
    if section.kind is Kind.BULLETS_THEN_LABEL:
        return {"items": items, section.labels[0].field: PLACEHOLDER}
    if section.kind is Kind.TREE:
        parent, *nested = section.labels
        return {parent.field: PLACEHOLDER, **{label.field: items for label in nested}}
    return {label.field: PLACEHOLDER for label in section.labels}


def describe(adoption: Adoption, cached: bool = False) -> str:
    """One line for the run summary: what the model wrote and what moved out of the summary."""
    parts = []
    if adoption.asks:
        parts.append(
            f"model wrote {', '.join(adoption.asks)}" + (" (from the reply cache)" if cached else "")
        )
    else:
        parts.append("no model call")
    return "; ".join([*parts, *warnings_of(adoption)])


def warnings_of(adoption: Adoption) -> tuple[str, ...]:
    """What a person should look at after the rewrite (sections kept as written, text moved after
    the summary or left out): warnings the run's summary shows."""
    parts = []
    if adoption.as_written:
        parts.append(f"kept {', '.join(adoption.as_written)} as written (unfit)")
    for what, findings in (("kept after the summary", adoption.moved), ("left out", adoption.left_out)):
        if findings:
            shown = ", ".join(
                f"{finding.code.value} (line {finding.line})" for finding in findings[:REASONS_SHOWN]
            )
            more = f" and {len(findings) - REASONS_SHOWN} more" if len(findings) > REASONS_SHOWN else ""
            parts.append(f"{what}: {shown}{more}")
    return tuple(parts)


def pages_to_adopt(paths: Iterable[Path]) -> tuple[list[Path], int]:
    """(the pages ``adopt`` would rewrite, in the order given; how many others it would not).

    A page topicgen already maintains (its generation metadata, read without parsing the page), one
    it leaves alone (not an outline page) and one it refuses (a title or frontmatter it cannot read)
    are not among them, so ``--limit`` counts only pages that get adopted and a drip over a vault
    never sticks on the pages it will not touch.
    """
    from topicgen.upkeep.staleness import page_state

    chosen: list[Path] = []
    others = 0
    for path in paths:
        try:
            raw = read_regular(path)
            text = raw.decode("utf-8")
        except (OSError, VaultError, UnicodeDecodeError):
            chosen.append(path)  # the run reports why it cannot be read, as it would without a limit
            continue
        if page_state(path, raw).generated:
            others += 1
            continue
        adoption = plan_adoption(path, text)
        if adoption.left_alone or adoption.refused:
            others += 1
            continue
        chosen.append(path)
    return chosen, others


def resolve_pages(vault: Vault, pages: list[Path]) -> list[Path]:
    """Page arguments as paths inside the vault's topics folder, each once; bad ones are usage errors."""
    topics = vault.topics_dir.resolve()
    resolved: list[Path] = []
    for page in pages:
        path = page.expanduser().resolve()
        if not path.is_file():
            what = "not a file" if path.exists() else "no such page"  # a device, a FIFO, a socket
            raise UsageError(f"{page}: {what}")
        if path.parent != topics:
            raise UsageError(f"{page} is not a page in {vault.topics_dir}")
        if path not in resolved:
            resolved.append(path)
    return resolved


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.name
