"""Ask a model for a page, accept its drift, and re-ask only what is wrong.

A reply is read in three steps (``read_reply``): whether it is usable at all
(not a refusal, not cut off, a JSON object), then its drift normalised
(``topicgen.page.drift``: accepted, noted, never a call), then each section
validated on its own. What happens next depends on what is wrong:

- nothing: the page is done;
- some sections: only those are asked for again (``section_request``: their
  partial schema, the problems, and the rest of the page as context, the way
  ``regen --sections`` asks) and the answer is spliced in;
- the reply as a whole (not JSON, truncated, refused, no usable section): the
  whole page is asked again, with what was wrong.

Re-asks are bounded (``reasks`` calls after the first); then the topic fails
with the last reason. ``reask_sections`` is the section re-ask on its own,
for callers that hold a page with some sections known to be wrong (batch
collection, reference verification); given the reply cache, its fully valid
answer is kept there like a page's reply, so a resumed run does not pay for it twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from topicgen.errors import InvalidReply
from topicgen.model.clients.base import Finish, ModelClient, ModelReply, ModelRequest, Usage
from topicgen.model.fingerprint import shipped_schema
from topicgen.model.offload import off_loop
from topicgen.model.prompt import Message, Prompts
from topicgen.model.redact import key_finder
from topicgen.model.reply_cache import CachedReply, ReplyCache, request_key
from topicgen.page.sections import section_model

if TYPE_CHECKING:
    from topicgen.page.drift import DriftNote

MAX_ERRORS_SHOWN = 12


# The page model, its validators (topicgen.page.schema, .drift, .text_rules and the emoji tables) and
# the renderer load when the first reply is read, not before the first request: a whole-page request
# sends the shipped JSON Schema (equal to the model's, tests/test_schema.py), so start-up pays for none.
def page_model() -> type[BaseModel]:
    """``TopicSummary``, the whole page's model (imported on first use)."""
    from topicgen.page.schema import TopicSummary

    return TopicSummary


def request_schema(model: type[BaseModel] | None) -> dict[str, Any]:
    """The JSON Schema a request for ``model`` sends (the whole page's when None). The whole page's
    is one shared dict for every request of a run: read it, never change it."""
    if model is None or model is page_model():
        return shipped_schema()
    from topicgen.page.schema import page_json_schema

    return page_json_schema(model)


@dataclass(frozen=True)
class Generation:
    page: BaseModel
    model: str
    usage: Usage
    attempts: int  # model calls made; 0 when the reply came from the cache
    cached: bool = False
    notes: tuple[str, ...] = ()  # drift accepted and normalised: 'qualities: list-length: 9 items; ...'
    reasked: tuple[str, ...] = ()  # sections asked for again on their own, in the order asked
    reask_usage: Usage = field(default_factory=Usage)  # what the re-asks (whole or sections) cost
    spec: str | None = None  # the model spec that wrote the page (a fallback chain's member that answered)


@dataclass(frozen=True)
class ReplyReading:
    """What one usable reply yields: the sections that validated, the ones that did not, the drift."""

    valid: dict[str, Any]  # field → validated data (JSON form), in the reply's order
    wrong: dict[str, list[str]]  # field → 'where: what' problems
    notes: tuple[DriftNote, ...] = ()
    page: BaseModel | None = None  # the whole model, when the reply validated at once (not re-validated)

    def merge(self, answer: ReplyReading) -> ReplyReading:
        """This reading with a section re-ask's ``answer`` spliced in."""
        valid = {**self.valid, **answer.valid}
        wrong = {key: answer.wrong.get(key, errors) for key, errors in self.wrong.items() if key not in valid}
        return ReplyReading(valid, wrong, self.notes + answer.notes)

    def problems(self) -> list[str]:
        return [error for errors in self.wrong.values() for error in errors]


def validation_errors(error: ValidationError) -> list[str]:
    """Pydantic errors as 'where: what' lines a model (and a person) can act on."""
    lines = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "reply"
        message = "missing from the reply" if item["type"] == "missing" else item["msg"]
        lines.append(f"{where}: {message.removeprefix('Value error, ')}")
    return lines


def read_reply(
    reply: ModelReply, model: type[BaseModel] | None = None, *, some_valid: bool = True
) -> ReplyReading:
    """The sections of a reply, validated one by one, or ``InvalidReply`` when it is unusable as a whole.

    With ``some_valid`` (a page's first reply), a reply with no usable section
    at all is unusable as a whole; a section re-ask's answer may be all wrong.
    """
    if reply.finish is Finish.REFUSAL:
        reason = (reply.refusal or "").strip().splitlines()[:1]
        raise InvalidReply(f"the model refused{': ' + reason[0] if reason else ''}")
    if reply.finish is Finish.LENGTH:
        raise InvalidReply(
            "the reply was cut off at the output token limit",
            ["the reply was truncated: keep every item short so the whole note fits"],
        )
    try:
        data: Any = json.loads(reply.text)
    except json.JSONDecodeError as error:
        raise InvalidReply(
            "the reply is not valid JSON", [f"JSON error at character {error.pos}: {error.msg}"]
        ) from None
    return read_data(data, model, some_valid=some_valid)


def read_data(data: Any, model: type[BaseModel] | None = None, *, some_valid: bool = True) -> ReplyReading:
    """Reply data normalised and validated section by section (see ``read_reply``); ``model``
    defaults to the whole page."""
    from topicgen.page.drift import normalise

    if not isinstance(data, dict):
        raise InvalidReply("the reply is not a JSON object", ["reply: must be one JSON object"])
    model = model or page_model()
    fields = tuple(model.model_fields)
    data, notes = normalise(data, fields=fields)
    echoed = echoed_keys(data)
    if not echoed:
        try:
            page = model.model_validate(data)
        except ValidationError:
            pass
        else:
            return ReplyReading(page.model_dump(mode="json"), {}, tuple(notes), page)
    valid: dict[str, Any] = {}
    wrong: dict[str, list[str]] = dict(echoed)
    for key in fields:
        if key in echoed:
            continue
        if key not in data:
            wrong[key] = [f"{key}: missing from the reply"]
            continue
        try:
            valid[key] = section_model((key,)).model_validate({key: data[key]}).model_dump(mode="json")[key]
        except ValidationError as error:
            wrong[key] = validation_errors(error)
    if not valid and some_valid:
        errors = [line for lines in wrong.values() for line in lines]
        raise InvalidReply(f"the reply does not match the schema ({errors[0]})", errors)
    return ReplyReading(valid, wrong, tuple(notes))


def echoed_keys(data: dict[str, Any]) -> dict[str, list[str]]:
    """The fields of reply data that repeat a key topicgen read, in any form redaction knows, by
    section: no page may hold one, so those sections are asked again (the message names the field,
    never the key)."""
    holds_key = key_finder()
    found: dict[str, list[str]] = {}
    for key, value in data.items():
        for path in _texts(value, (key,)):
            if holds_key(path[0]):
                found.setdefault(key, []).append(f"{'.'.join(map(str, path[1]))}: must not repeat an API key")
    return found


def _texts(value: Any, path: tuple[str | int, ...]) -> list[tuple[str, tuple[str | int, ...]]]:
    """Every string in reply data, with its path."""
    if isinstance(value, str):
        return [(value, path)]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [found for part, item in items for found in _texts(item, (*path, part))]


def parse_reply(reply: ModelReply, model: type[BaseModel] | None = None) -> BaseModel:
    """The whole validated page in a reply (drift normalised), or ``InvalidReply`` saying why not."""
    model = model or page_model()
    return _whole(read_reply(reply, model), model)


def parse_page_json(text: str, model: type[BaseModel] | None = None) -> BaseModel:
    """A saved reply's page (drift normalised), or ``InvalidReply``."""
    return parse_reply(ModelReply(text, Finish.STOP, ""), model)


def _whole(reading: ReplyReading, model: type[BaseModel] | None) -> BaseModel:
    if reading.wrong:
        errors = reading.problems()
        raise InvalidReply(f"the reply does not match the schema ({errors[0]})", errors)
    if reading.page is not None:
        return reading.page
    return (model or page_model()).model_validate(reading.valid)


def context_page(topic: str, valid: dict[str, Any]) -> str:
    """The sections already in hand as Markdown, the way a page shows them (links left plain)."""
    from topicgen.page.drift import TITLE_KEY
    from topicgen.page.render import PageContext, render_section_blocks

    keys = tuple(key for key in valid if key != TITLE_KEY)
    title = " ".join(part for part in (valid.get(TITLE_KEY), topic) if part)
    lines = [f"# {title}"]
    if keys:
        sections = section_model(keys).model_validate({key: valid[key] for key in keys})
        blocks = render_section_blocks(sections, PageContext(topic, slug="", hard_breaks=False))
        lines += [line for key in keys for line in blocks.get(key, [])]
    return "\n".join(lines).strip()


def section_request(
    prompts: Prompts,
    topic: str,
    problems: dict[str, list[str]],
    current_page: str,
    *,
    max_output_tokens: int = 16_000,
) -> ModelRequest:
    """The request that asks for only the sections in ``problems`` (field → what was wrong).

    The model sees the rest of the page (``current_page``, Markdown) and the
    problems, and answers with the partial schema of just those sections.
    """
    keys = list(problems)
    shown = [error for errors in problems.values() for error in errors][:MAX_ERRORS_SHOWN]
    messages = prompts.section_messages(topic, keys, current_page, problems=shown)
    schema = request_schema(section_model(tuple(keys)))
    return ModelRequest(tuple(messages), schema, max_output_tokens=max_output_tokens)


@dataclass(frozen=True)
class SectionAnswer:
    """What ``reask_sections`` got: the sections' data, what is still wrong, and what it cost."""

    data: dict[str, Any]
    wrong: dict[str, list[str]]
    notes: tuple[DriftNote, ...]
    usage: Usage
    calls: int
    cached: bool = False  # the answer came from the reply cache: no call, no tokens


async def reask_sections(
    client: ModelClient,
    prompts: Prompts,
    topic: str,
    problems: dict[str, list[str]],
    current_page: str,
    *,
    attempts: int = 1,
    max_output_tokens: int = 16_000,
    on_usage: Callable[[Usage], None] | None = None,
    cache: ReplyCache | None = None,
) -> SectionAnswer:
    """Ask for just the sections named in ``problems`` (field → what was wrong), up to ``attempts`` calls.

    ``current_page`` is the rest of the page as Markdown (see ``context_page``).
    Each call asks only for the sections still wrong. The answer's data is
    validated and normalised like any reply; splice it into the page.
    With a ``cache``, an answer stored for the same first request is validated
    again and used instead of a call; only an answer with every section valid is stored.
    """
    reading = ReplyReading({}, dict(problems))
    key, first = "", None
    if cache is not None:
        first = section_request(
            prompts, topic, reading.wrong, current_page, max_output_tokens=max_output_tokens
        )
        key = request_key(client.spec, list(first.messages), first.schema)
        if (hit := cache.get(key)) is not None and (answer := _cached_sections(hit, tuple(problems))):
            return SectionAnswer(answer.valid, {}, answer.notes, Usage(), 0, cached=True)
    total, calls, model_id = Usage(), 0, client.spec
    while reading.wrong and calls < attempts:
        reading, usage, model_id = await _ask_sections(
            client, prompts, topic, reading, current_page, max_output_tokens, on_usage, request=first
        )
        first = None  # a later call asks only for the sections still wrong: a request of its own
        total += usage
        calls += 1
    if cache is not None and calls and not reading.wrong:
        await off_loop(cache.put, key, reading.valid, model_id, total, topic)
    return SectionAnswer(reading.valid, reading.wrong, reading.notes, total, calls)


def _cached_sections(hit: CachedReply, keys: tuple[str, ...]) -> ReplyReading | None:
    """A cached section answer read like a fresh one, or None (a miss) unless every section is valid."""
    try:
        answer = read_data(hit.data, section_model(keys), some_valid=False)
    except InvalidReply:
        return None
    return None if answer.wrong else answer


async def _ask_sections(
    client: ModelClient,
    prompts: Prompts,
    topic: str,
    reading: ReplyReading,
    current_page: str,
    max_output_tokens: int,
    on_usage: Callable[[Usage], None] | None,
    *,
    request: ModelRequest | None = None,
) -> tuple[ReplyReading, Usage, str]:
    """One section re-ask for ``reading.wrong``, merged into ``reading``; its usage and model.
    ``request``: the re-ask's request when the caller has built it already (for the cache key)."""
    request = request or section_request(
        prompts, topic, reading.wrong, current_page, max_output_tokens=max_output_tokens
    )
    reply = await client.complete(request)
    if on_usage:
        on_usage(reply.usage)
    keys = tuple(reading.wrong)
    try:
        answer = read_reply(reply, section_model(keys), some_valid=False)
    except InvalidReply as error:
        lines = [str(error), *error.errors[:2]]
        answer = ReplyReading({}, {key: lines for key in keys})
    return reading.merge(answer), reply.usage, reply.model


def answering_specs(client: ModelClient) -> tuple[str, ...]:
    """The models a client's replies may come from, the one it asks now first: a fallback chain's
    reply stored under any of its models serves a resumed run, whichever model it asks first."""
    chain: tuple[str, ...] = getattr(client, "specs", ())
    return (client.spec, *(spec for spec in chain if spec != client.spec))


async def generate_page(
    client: ModelClient,
    prompts: Prompts,
    topic: str,
    *,
    reasks: int = 2,
    max_output_tokens: int = 16_000,
    messages: list[Message] | None = None,
    model: type[BaseModel] | None = None,
    schema: dict[str, Any] | None = None,
    on_usage: Callable[[Usage], None] | None = None,
    cache: ReplyCache | None = None,
    current_page: str | None = None,
) -> Generation:
    """Ask, accept drift, and re-ask what is wrong up to ``reasks`` times; every call's usage is reported.

    ``current_page`` is the page the request was built around (regen, adopt):
    section re-asks show it as context; otherwise they show the sections in hand.
    With a ``cache``, a reply validated earlier for the same request is used
    instead of a call, and every newly validated page is stored.
    """
    conversation = list(messages or prompts.messages(topic))
    asked = tuple(conversation)  # the first request's messages: what the reply cache keys it by
    schema = schema or request_schema(model)
    keys = (
        {spec: request_key(spec, conversation, schema) for spec in answering_specs(client)} if cache else {}
    )
    for spec, key in keys.items():
        if cache and (hit := cache.get(key)) and not echoed_keys(hit.data):
            try:
                page = (model or page_model()).model_validate(hit.data)
                return Generation(page, hit.model, Usage(), 0, cached=True, spec=spec)
            except ValidationError:
                pass
    total, reask_usage = Usage(), Usage()
    reading: ReplyReading | None = None
    reasked: list[str] = []
    last_error: InvalidReply | None = None
    model_id, spec = client.spec, client.spec
    for attempt in range(1, reasks + 2):
        if reading is not None:  # some sections are wrong: ask for those alone
            reasked += [key for key in reading.wrong if key not in reasked]
            page_text = current_page if current_page is not None else context_page(topic, reading.valid)
            reading, usage, _ = await _ask_sections(
                client, prompts, topic, reading, page_text, max_output_tokens, on_usage
            )
            total, reask_usage = total + usage, reask_usage + usage
        else:
            request = ModelRequest(tuple(conversation), schema, max_output_tokens=max_output_tokens)
            reply = await client.complete(request)
            model_id, spec = reply.model, reply.spec or client.spec
            total += reply.usage
            if attempt > 1:
                reask_usage += reply.usage
            if on_usage:
                on_usage(reply.usage)
            try:
                reading = await off_loop(read_reply, reply, model)
            except InvalidReply as error:
                last_error = error
                conversation.append(Message("assistant", reply.text or "(empty reply)"))
                conversation.append(prompts.reask(topic, str(error), error.errors[:MAX_ERRORS_SHOWN]))
                continue
        if reading.wrong:
            errors = reading.problems()
            last_error = InvalidReply(f"the reply does not match the schema ({errors[0]})", errors)
            continue
        page = _whole(reading, model)
        if cache:
            data = reading.valid if reading.page is page else page.model_dump(mode="json")
            # kept under the model that wrote it (a chain may have moved on while it was asked)
            stored = keys.get(spec) or request_key(spec, list(asked), schema)
            await off_loop(cache.put, stored, data, model_id, total, topic)
        notes = tuple(str(note) for note in reading.notes)
        return Generation(page, model_id, total, attempt, False, notes, tuple(reasked), reask_usage, spec)
    assert last_error is not None
    raise InvalidReply(f"{last_error} (gave up after {reasks + 1} attempts)", last_error.errors)
