"""Regenerating existing pages without losing a human edit.

Only the sections that need it are asked for: a schema holding just those
sections, with the rest of the page as context. A section a person edited
since generation (its hash no longer matches the one recorded) is kept
verbatim and reported as kept; ``--force`` is the only way to replace it.
Frontmatter keys topicgen does not own, headings outside the outline and
everything after the summary survive every rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from topicgen.config import Settings
from topicgen.errors import ModelError, PageLockedError, VaultError
from topicgen.model.clients.base import Message, Usage
from topicgen.model.generate import Generation
from topicgen.model.offload import off_loop
from topicgen.model.prompt import Prompts
from topicgen.model.redact import redact
from topicgen.page.sections import BodyParts, merge_head, section_model, splice, split_body
from topicgen.page.titles import topic_name_problem
from topicgen.runs.workshop import Outcome, Status, Workshop, page_mtime, request_tokens, write_whole
from topicgen.upkeep.staleness import (
    ALL_KEYS,
    Assessment,
    assess,
    page_state,
    read_page_state,
    scan,
    topic_of,
)
from topicgen.vault.files import page_lock, read_page_text
from topicgen.vault.frontmatter import compose, frontmatter_data, split_page
from topicgen.vault.stat_cache import ScanCache

# Rendering and the page model load once a reply is in, as for `new`: a whole-page request sends the
# shipped schema, so nothing the first request does not need is imported before it.
if TYPE_CHECKING:
    from topicgen.page.render import PageContext
    from topicgen.verify.checker import PageReferences

EXPECTED_PAGE_TOKENS = 3_000
GROUNDED = frozenset({"books", "videos"})  # sections whose references are checked when regenerated


@dataclass(frozen=True)
class RegenJob:
    path: Path
    topic: str
    sections: tuple[str, ...]  # to ask for
    keep: tuple[str, ...] = ()  # edited sections kept as they are
    reasons: tuple[str, ...] = ()
    replaces: tuple[str, ...] = ()  # edited sections asked for again all the same (--force): named

    @property
    def whole(self) -> bool:
        return set(self.sections) == set(ALL_KEYS)

    def __str__(self) -> str:
        return self.topic


def job_for(assessment: Assessment, sections: tuple[str, ...] | None = None, force: bool = False) -> RegenJob:
    """What a regen of this page asks for: the given sections, or what its staleness needs."""
    state = assessment.page
    wanted = assessment.regenerate + assessment.keep if sections is None else tuple(sections)
    edited = tuple(key for key in ALL_KEYS if key in wanted and key in state.edited)
    keep = () if force else edited
    ordered = tuple(key for key in ALL_KEYS if key in wanted and key not in keep)
    replaces = edited if force else ()
    topic = topic_of(state.title, state.path)
    return RegenJob(state.path, topic, ordered, keep, assessment.reasons, replaces)


@dataclass
class Rewrite:
    """A page read under its lock and the request that regenerates it: what ``Regenerator`` prepares
    off the event loop before asking, and finishes off it after."""

    job: RegenJob
    before: str  # the page as read: it must still be this when the new one is written
    previous: str | None  # its frontmatter
    old_data: dict
    parts: BodyParts
    body: str
    messages: list[Message]
    model: type[BaseModel] | None  # None: the whole page
    since: int | None  # its mtime: a cached reply no newer than it is the one it was made from

    @property
    def whole(self) -> bool:
        return self.job.whole and not self.job.keep


class Regenerator(Workshop):
    """Runs ``RegenJob``s: generate the sections, splice them in, keep everything else.

    Reading the page and building its request, then rendering and splicing the
    reply, run on the reply worker thread (``off_loop``), and the page is
    written in a thread: the event loop only sends requests and waits.
    """

    async def regen(self, job: RegenJob) -> Outcome:
        problem = topic_name_problem(job.topic)
        if problem is not None:  # the title is someone's text, and it becomes the page's heading
            detail = f"its title cannot be a page's title: {problem}; fix it in the frontmatter"
            return Outcome(job.topic, Status.FAILED, job.path, detail)
        if not job.sections:
            return _unchanged(job)
        spent: list[Usage] = []
        try:
            with page_lock(self.vault.lock_dir, job.path.stem):
                rewrite = await off_loop(self._prepare, job)
                job = rewrite.job
                if not job.sections:
                    return _unchanged(job)
                generation = await self.ask(
                    job.topic,
                    spent,
                    messages=rewrite.messages,
                    model=rewrite.model,
                    current_page=None if rewrite.whole else rewrite.body.strip(),
                    newer_than=rewrite.since,
                )
                page, references = generation.page, None
                if GROUNDED & set(job.sections):
                    page, references = await self.ground(job.topic, page, spent, newer_than=rewrite.since)
                text = await off_loop(self._finish, rewrite, generation, page, references)
                await write_whole(job.path, text, overwrite=True, unless_changed_from=rewrite.before)
        except (ModelError, PageLockedError, VaultError) as error:
            return Outcome(job.topic, Status.FAILED, job.path, redact(str(error)), sum(spent, Usage()))
        detail = f"{len(job.sections)} section(s)" if not job.whole else "whole page"
        if generation.cached:
            detail += " from the reply cache"
        written = Outcome(
            job.topic,
            Status.WRITTEN,
            job.path,
            detail,
            sum(spent, Usage()) if spent else generation.usage,
            generation.attempts,
            kept=job.keep,
            cached=generation.cached,
        ).with_generation(generation)
        return replace(written, references=references, replaced=job.replaces)

    def _prepare(self, job: RegenJob) -> Rewrite:
        """Read the page (its lock held) and build the request; the plan is checked against the page
        as it is now, since a plan may come from the scan cache or from before a person's edit."""
        before = read_page_text(job.path)
        job = self._still_right(job, before)
        previous, body = split_page(before)
        old_data = frontmatter_data(previous or "", job.path.name)  # unsafe YAML fails this page alone
        messages, model = job_request(self.prompts, job, body)
        parts = split_body(body)
        return Rewrite(job, before, previous, old_data, parts, body, messages, model, page_mtime(job.path))

    def _still_right(self, job: RegenJob, before: str) -> RegenJob:
        """``job`` as the page now needs it: a section edited since the plan is kept (without --force)."""
        state = page_state(job.path, before.encode("utf-8"))
        if not state.generated:
            raise VaultError(
                f"{job.path.name} is no longer topicgen's page (its metadata is gone); left alone"
            )
        edited = set(state.edited) - set(job.keep)
        if self.force or not edited & set(job.sections):
            return job
        keep = tuple(key for key in ALL_KEYS if key in edited or key in job.keep)
        return replace(job, sections=tuple(key for key in job.sections if key not in keep), keep=keep)

    def _finish(
        self, rewrite: Rewrite, generation: Generation, page: BaseModel, references: PageReferences | None
    ) -> str:
        """The new page: the reply's sections rendered and spliced in, everything else kept."""
        from topicgen.page.render import (
            VERIFIED_KEY,
            generation_metadata,
            owned_frontmatter,
            render_section_blocks,
        )

        job, parts = rewrite.job, rewrite.parts
        context = self.view.context(job.topic, job.path)
        blocks = render_section_blocks(page, context)
        if rewrite.whole:  # a new breadcrumb, title and summary heading; a person's lines among them stay
            parts.head = merge_head(parts.head, _head_lines(page, context))
        new_body = splice(parts, {key: blocks[key] for key in job.sections}).join()
        title = str(rewrite.old_data.get("title") or "")
        if rewrite.whole:
            title = f"{generation.page.title_emoji} {job.topic}"
        owned = owned_frontmatter(title, context)
        verified = references.verified if references else rewrite.old_data.get(VERIFIED_KEY)
        provenance = self.provenance(verified if isinstance(verified, bool) else None, generation)
        metadata = generation_metadata(provenance, new_body)
        recorded = dict(rewrite.old_data.get("topicgen_sections") or {})
        for key in job.keep:  # a kept edit stays marked as edited
            if key in recorded:
                metadata["topicgen_sections"][key] = recorded[key]
            else:
                metadata["topicgen_sections"].pop(key, None)
        if job.keep:  # the body is not all topicgen's: no shortcut hash for the staleness scan
            del metadata["topicgen_body_hash"]
        return f"{compose(owned, metadata, rewrite.previous)}\n{new_body}"


def _unchanged(job: RegenJob) -> Outcome:
    detail = "kept edited section(s); --force replaces them" if job.keep else "nothing to do"
    return Outcome(job.topic, Status.UNCHANGED, job.path, detail, kept=job.keep)


def _head_lines(page: BaseModel, context: PageContext) -> list[str]:
    """The breadcrumb, title and summary heading of a freshly rendered page."""
    from topicgen.page.render import join_lines, render_lines

    rendered = join_lines(render_lines(page, context), context.hard_breaks)
    return split_body(rendered).head


def job_request(prompts: Prompts, job: RegenJob, body: str) -> tuple[list[Message], type[BaseModel] | None]:
    """What a job asks the model: the whole page (model None: the page model, sent as the shipped
    schema), or its sections with the page (``body``) as context."""
    if job.whole and not job.keep:
        return prompts.messages(job.topic), None
    return prompts.section_messages(job.topic, list(job.sections), body.strip()), section_model(job.sections)


def plan_tokens(job: RegenJob, prompts: Prompts) -> tuple[int, int]:
    """(input, output) token estimate for one job, from the request the run would send (--dry-run);
    a job that asks for nothing (its sections all kept because a person edited them) costs nothing."""
    if not job.sections:
        return 0, 0
    try:
        _, body = split_page(read_page_text(job.path))
    except (OSError, VaultError):
        body = ""
    messages, model = job_request(prompts, job, body)
    share = len(job.sections) / len(ALL_KEYS)
    return request_tokens(messages, model), int(EXPECTED_PAGE_TOKENS * share)


def resolve_targets(topics_dir: Path, targets: list[str]) -> list[Path]:
    """Pages named by topic ('Quantum Computing') or by path ('topics/quantum-computing.md')."""
    from topicgen.errors import UsageError
    from topicgen.page.titles import clean_topic
    from topicgen.upkeep.owners import holder
    from topicgen.vault.slugs import slug_for

    paths = []
    for target in targets:
        if target.endswith(".md"):
            given = Path(target).expanduser()
            path = given.parent.resolve() / given.name  # the folder resolved, not the page (it may be a link)
            if path.parent != topics_dir.resolve():
                raise UsageError(f"{target} is not a page in {topics_dir}")
        else:
            name = clean_topic(target)
            path = topics_dir / f"{slug_for(name)}.md"
        if path.is_symlink():
            raise UsageError(f"{path} is a symbolic link; topicgen never writes through or over a link")
        if not path.is_file():
            raise UsageError(f"no page for {target!r} (looked for {path}); `topicgen new` drafts one")
        if not target.endswith(".md") and (owner := holder(path, name)) is not None:
            raise UsageError(
                f'{path.parent.name}/{path.name} is the page of "{owner}", not of "{name}"; '
                f'name it "{owner}" or by its path to regenerate it'
            )
        if path not in paths:
            paths.append(path)
    return paths


def plan_regen(
    topics_dir: Path,
    settings: Settings,
    fingerprint: str,
    *,
    targets: list[str],
    stale: bool,
    sections: list[str] | None,
    force: bool,
    cache: ScanCache | None = None,
) -> tuple[list[RegenJob], list[Assessment]]:
    """The jobs a regen run would do (the pages named, in the order given, then the stale pages,
    oldest first), and the pages it leaves alone (with why).

    With a scan ``cache``, ``--stale`` reads only the pages that changed since
    the last scan; a plan is checked against the page itself, under its lock,
    before anything is written (``Regenerator.regen``).
    """
    from topicgen.errors import UsageError

    now = datetime.now(UTC)
    chosen = tuple(sections) if sections else None
    jobs: list[RegenJob] = []
    left_alone: list[Assessment] = []
    if targets:
        for path in resolve_targets(topics_dir, targets):
            assessment = assess(read_page_state(path), settings, fingerprint, now)
            if not assessment.page.generated:
                raise UsageError(_not_generated(path))
            jobs.append(job_for(assessment, chosen or ALL_KEYS, force))
    if stale:
        named = {job.path for job in jobs}
        due: list[Assessment] = []
        for assessment in scan(topics_dir, settings, fingerprint, now, cache):
            if assessment.page.path in named:
                continue
            if assessment.stale:
                due.append(assessment)
            elif not assessment.page.generated:
                left_alone.append(assessment)
        jobs += [job_for(assessment, chosen, force) for assessment in sorted(due, key=_oldest_first)]
    return jobs, left_alone


def _oldest_first(assessment: Assessment) -> tuple[datetime, str]:
    """Stale pages in the order they were generated (``topicgen_generated``), oldest first; a page
    without that date before all others; then by file name. ``--limit`` takes them in this order."""
    moment = assessment.page.generated_at or datetime.min.replace(tzinfo=UTC)
    return moment, assessment.page.path.name


def _not_generated(path: Path) -> str:
    """Why a page topicgen did not write is not regenerated: adopt it first, or it is not topicgen's."""
    from topicgen.read.parse import LEFT_ALONE, read_page

    kind = read_page(path).kind
    if kind in LEFT_ALONE:
        return f"{path.name}: {LEFT_ALONE[kind]}"
    return f"{path.name} was not generated by topicgen; `topicgen adopt` it first"
