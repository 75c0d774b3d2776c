"""Library entry points behind the CLI: build a client, draft, regenerate, tidy up after a run.

Everything a command does that a Python user could want lives here (or in
the page jobs it calls); ``topicgen.cli`` only parses flags and prints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from topicgen.config import Settings, open_vault
from topicgen.errors import InvalidReply, UsageError, VaultError
from topicgen.model.catalogue.lifecycle import refuse_retired
from topicgen.model.clients import ClientOptions, ModelSpec, create_client
from topicgen.model.clients.base import ModelClient, Usage
from topicgen.model.clients.ratelimit import RateLimitedClient, RateLimiter
from topicgen.model.clients.retrying import RetryingClient
from topicgen.model.prompt import Prompts
from topicgen.model.reply_cache import ReplyCache
from topicgen.page.titles import clean_topics
from topicgen.runs.draft import Drafter, not_ours, other_topic
from topicgen.runs.engine import Budget, Engine, RunReport
from topicgen.runs.workshop import Outcome, Status, Workshop, request_tokens
from topicgen.vault import Vault
from topicgen.vault.slugs import slug_for

# Only what `new` needs before its first request is imported here; the other commands' page jobs,
# prices, rendering, relinking and the index are imported by the functions that use them.
if TYPE_CHECKING:
    from topicgen.model.costs import Priced
    from topicgen.runs.regen import RegenJob
    from topicgen.upkeep.frontier import Frontier

EXPECTED_OUTPUT_TOKENS = 3_000  # about what the reference page costs
EXPECTED_USAGE = Usage(input_tokens=4_000, output_tokens=EXPECTED_OUTPUT_TOKENS)


def reply_cache(vault: Vault, settings: Settings) -> ReplyCache | None:
    """The vault's reply cache, its state folder kept out of git; none for a replayed model.

    A recorded exchange costs nothing to answer again, and a replayed run (the README's set-up
    job on the fixture vault, say) leaves the vault's state folder as it found it.
    """
    if ModelSpec.parse(settings.model).provider == "replay":
        return None
    vault.keep_state_out_of_git()
    return ReplyCache.of_vault(vault.state_dir)


def client_options(
    settings: Settings, record: Path | None = None, transport: Any = None, *, spec: str | None = None
) -> ClientOptions:
    """What the configured model's adapter (live or batch) is built with; ``spec`` names one model
    of a fallback chain (its provider's table applies), by default the first.

    ``record`` saves every exchange (minus secrets) under that folder.
    """
    configured = settings.provider(ModelSpec.parse(spec or settings.model).provider)
    if record is not None:
        from topicgen.model.clients.wire import RecordingTransport

        transport = RecordingTransport(record, transport)
    return ClientOptions(
        timeout=settings.timeout,
        connect_timeout=settings.connect_timeout,
        base_url=configured.base_url,
        api_key_env=configured.api_key_env,
        num_ctx=configured.num_ctx,
        transport=transport,
        reasoning_effort=None if settings.reasoning_effort == "default" else settings.reasoning_effort,
    )


def build_client(
    settings: Settings,
    record: Path | None = None,
    transport: Any = None,
    limiter: RateLimiter | None = None,
) -> ModelClient:
    """The configured model's client: retries around the rate limiter around the adapter.

    A fallback chain (``model`` lists several) is a ``FallbackClient`` over one such stack per
    model, each with its own retries and budgets (``limiter`` is the first model's). Every model
    is checked and built before the first call: a retired one, or one whose key is not set, is
    a usage error now rather than when the run would turn to it.

    ``record`` saves every exchange (minus secrets) under that folder.
    """
    for spec in settings.models:
        refuse_retired(spec)
    stacks = []
    for index, spec in enumerate(settings.models):
        options = client_options(settings, record, transport, spec=spec)
        stacks.append(model_stack(settings, spec, options, limiter if index == 0 else None))
    if len(stacks) == 1:
        return stacks[0]
    from topicgen.model.clients.fallback import FallbackClient

    return FallbackClient(stacks)


def model_stack(
    settings: Settings, spec: str, options: ClientOptions, limiter: RateLimiter | None = None
) -> RetryingClient:
    """One model's client: retries around the rate limiter around the adapter. A request that waited
    for its slot is not sent once the run has stopped for the model (``RetryingClient.gate``)."""
    limiter = limiter or RateLimiter(
        settings.rpm, settings.tpm, max_in_flight=settings.concurrency, max_pause=settings.retry_max_wait
    )
    limited = RateLimitedClient(create_client(spec, options), limiter)
    retrying = RetryingClient(
        limited, attempts=settings.retries, initial_wait=settings.retry_wait, max_wait=settings.retry_max_wait
    )
    limited.gate = retrying.gate
    return retrying


def engine_for(settings: Settings, per_job: Usage = EXPECTED_USAGE) -> Engine:
    """The run engine: twice ``concurrency`` pages in hand, so one page is rendered and written
    while the next one's request is already in flight (the client stack caps requests at
    ``concurrency``)."""
    return Engine(settings.concurrency * 2, budget=budget_for(settings, per_job))


def budget_for(settings: Settings, per_job: Usage) -> Budget | None:
    """The --max-cost budget, pricing each job in flight at ``per_job`` tokens."""
    if settings.max_cost is None:
        return None
    price = budget_price(settings)
    assert price is not None  # a budget always has its price
    return Budget(settings.max_cost, price.cost, per_job_estimate=price.cost(per_job))


def budget_price(settings: Settings, *, batch: bool = False) -> Priced | None:
    """The model's price (its batch price with ``batch``); for a fallback chain, the dearest of its
    models' prices, whichever model writes a page. A ``UsageError`` when --max-cost is set and a
    model has no known price, since the budget could not be kept."""
    from topicgen.model.costs import DearestPrice, price_for

    prices = []
    for spec in settings.models:
        price = price_for(spec, settings.prices, batch=batch)
        if price is None and settings.max_cost is not None:
            raise UsageError(
                f'--max-cost needs a price for {spec}: add [prices."{spec}"] '
                "input = ..., output = ... (USD per million tokens) to topicgen.toml"
            )
        prices.append(price)
    if len(prices) == 1:
        return prices[0]
    known = tuple(price for price in prices if price is not None)
    return DearestPrice(known) if len(known) == len(prices) else None


def summary_price(settings: Settings, outcomes: list[Outcome], *, batch: bool, live: Usage) -> Priced | None:
    """What a run's summary prices its usage at: the model's price (``costs.run_price``), or in a
    fallback chain each page at the price of the model that wrote it."""
    from topicgen.model.costs import chain_run_price, run_price

    written: dict[str, Usage] = {}
    for outcome in outcomes:
        if outcome.model is not None:
            written[outcome.model] = written.get(outcome.model, Usage()) + outcome.usage
    if written:
        return chain_run_price(written, settings.model, settings.prices)
    return run_price(settings.model, settings.prices, batch=batch, live=live)


async def draft_topics(
    vault: Vault,
    settings: Settings,
    topics: list[str],
    *,
    client: ModelClient,
    force: bool = False,
    to_stdout: bool = False,
    engine: Engine | None = None,
    use_cache: bool = True,
    fresh: bool = False,
) -> RunReport:
    """Draft pages for ``topics``; the client is closed when the run ends.

    The reply cache serves a resumed run and a page printed (``to_stdout``)
    before it is written; ``fresh`` asks the model again whatever it holds.
    """
    cache = reply_cache(vault, settings) if use_cache else None
    drafter = Drafter(
        vault, settings, client, force=force, to_stdout=to_stdout, cache=cache, fresh=fresh, verify=True
    )
    return await run_closing(engine or engine_for(settings), topics, drafter.draft, client, drafter)


def refuse_notes_of_ones_own(vault: Vault, topics: list[str]) -> None:
    """Before any call: ``new --force`` never replaces a page topicgen did not write (``UsageError``)."""
    refused = []
    for topic in topics:
        path = vault.topic_path(slug_for(topic))
        if not os.path.lexists(path) or other_topic(path, topic) is not None:
            continue  # no page, or another topic's: the run reports that page on its own
        if (reason := not_ours(path, vault)) is not None:
            refused.append(reason)
    if refused:
        more = f" ({len(refused) - 1} more page(s) like it)" if len(refused) > 1 else ""
        raise UsageError(refused[0] + more)


async def regenerate(
    vault: Vault,
    settings: Settings,
    jobs: list[RegenJob],
    *,
    client: ModelClient,
    force: bool = False,
    engine: Engine | None = None,
    use_cache: bool = True,
    fresh: bool = False,
) -> RunReport:
    """Run the regen ``jobs`` that ``plan_regen`` made; the client is closed when the run ends."""
    from topicgen.runs.regen import Regenerator

    cache = reply_cache(vault, settings) if use_cache else None
    worker = Regenerator(vault, settings, client, force=force, cache=cache, fresh=fresh, verify=True)
    return await run_closing(engine or engine_for(settings), jobs, worker.regen, client, worker)


async def recheck_references(
    vault: Vault,
    settings: Settings,
    paths: list[Path],
    *,
    client: ModelClient,
    engine: Engine | None = None,
    use_cache: bool = True,
    fresh: bool = False,
) -> RunReport:
    """``regen --verify-only``: check and ground the references of written pages (see ``runs.recheck``).

    Checks run even when ``[verify] enabled`` is false: asking for them is the point. The books
    re-ask goes through the reply cache as a page job's does; ``fresh`` asks the model whatever it holds.
    """
    from topicgen.runs.recheck import Rechecker

    checks = settings.verify.model_copy(update={"enabled": True})
    settings = settings.model_copy(update={"verify": checks})
    cache = reply_cache(vault, settings) if use_cache else None
    worker = Rechecker(vault, settings, client, cache=cache, fresh=fresh, verify=True)
    return await run_closing(engine or engine_for(settings), paths, worker.recheck, client, worker)


def grow_frontier(
    vault: Vault, settings: Settings, *, root: str | None = None, depth: int | None = None
) -> Frontier:
    """The topics the vault's pages name without a page of their own, ranked, as ``topicgen grow``
    sees them (``upkeep.frontier``); ``draft_topics`` drafts the first few. ``root`` grows outward
    from that topic's page, ``depth`` steps at most (2 unless given); ``[grow] ignore`` applies."""
    from topicgen.upkeep.frontier import DEFAULT_DEPTH, scan
    from topicgen.vault.stat_cache import ScanCache

    if root is not None and depth is None:
        depth = DEFAULT_DEPTH
    cache = ScanCache.of(vault, settings.scan_cache)
    return scan(vault.topics_dir, root=root, depth=depth, ignore=settings.grow.ignore, cache=cache)


def refresh_after_run(vault: Vault, settings: Settings, outcomes: list[Outcome]) -> str | None:
    """Relink pages that mention the run's new topics and rebuild ``topics/index.md``.

    Does nothing when the run wrote no page. The notes are read once for both.
    Returns a warning when only the index could not be refreshed (the pages are written).
    """
    written = [o.path for o in outcomes if o.status is Status.WRITTEN and o.path is not None]
    if not written:
        return None
    from topicgen.upkeep.index import write_index
    from topicgen.upkeep.links import relink_vault
    from topicgen.upkeep.view import VaultView

    view = VaultView.scan(vault, settings)
    created = [o.topic for o in outcomes if o.created]
    relink_vault(vault, settings, written=written, new_topics=created, view=view)
    try:
        write_index(
            vault, hard_breaks=settings.trailing_spaces, site_url=settings.site_url, notes=view.topics.notes
        )
    except VaultError as error:
        return str(error)
    finally:
        vault.tidy_state()  # the locks of relinking and the index are released: no empty folder stays
    return None


async def adopt_pages(
    vault: Vault,
    settings: Settings,
    paths: list[Path],
    *,
    client: ModelClient,
    dry_run: bool = False,
    rewrite_unfit: bool = False,
    engine: Engine | None = None,
    use_cache: bool = True,
    fresh: bool = False,
) -> RunReport:
    """Adopt ``paths`` with the run engine; returns its ``RunReport``. The client is closed at the end.

    A dry run calls no model: sections the model would write appear as
    placeholders in its diff (or as cached replies, when there are some).
    """
    from topicgen.runs.adopt import Adopter

    cache = reply_cache(vault, settings) if use_cache else None
    adopter = Adopter(
        vault,
        settings,
        client,
        cache=cache,
        fresh=fresh,
        dry_run=dry_run,
        rewrite_unfit=rewrite_unfit,
        verify=not dry_run,
    )
    return await run_closing(engine or engine_for(settings), paths, adopter.adopt, client, adopter)


async def run_closing(
    engine: Engine,
    items: list[Any],
    worker: Callable[[Any], Awaitable[Any]],
    client: ModelClient,
    workshop: Workshop | None = None,
) -> RunReport:
    """Run ``worker`` over ``items`` on ``engine``; the client (and the workshop's reference
    checker) is closed however the run ends."""
    try:
        return await engine.run(items, worker)
    finally:
        try:
            await client.aclose()
        finally:
            if workshop is not None:
                await workshop.aclose()


@dataclass(frozen=True)
class Plan:
    topic: str
    path: Path
    exists: bool
    messages: list[dict[str, str]]
    input_tokens: int
    output_tokens: int
    asked: bool = True  # the run would ask the model for this page; when not, it costs nothing
    state: str = "new"  # what the run would do with the page, in a few words


def plan_topics(
    vault: Vault, topics: Iterable[str], prompts: Prompts | None = None, *, force: bool = False
) -> Iterator[Plan]:
    """What ``new`` would send for each topic, with a token estimate; no call is made.

    A page that is already there is asked for only with ``force``, and only when
    it is topicgen's page of the same topic (under its own name, as the run asks
    for it); the plan says which edited sections that replaces. Plans come one
    at a time, so a list of 100,000 topics is never held as prompts.
    """
    from topicgen.upkeep.owners import FileClaims

    prompts = prompts or Prompts(vault.root)
    claims = FileClaims()  # as the run decides: the page's own topic, else the first to ask for it
    for topic in topics:
        path = vault.topic_path(slug_for(topic))
        if (owner := claims.owner(path, topic)) is not None:
            state = f'the page of "{owner}", another topic: refused, no call'
            yield Plan(topic, path, os.path.lexists(path), [], 0, 0, asked=False, state=state)
            continue
        asked, state, name = _plan_state(vault, path, topic, force)
        request = prompts.messages(name)
        messages = [{"role": m.role, "content": m.content} for m in request]
        tokens = (request_tokens(request), EXPECTED_OUTPUT_TOKENS) if asked else (0, 0)
        yield Plan(topic, path, os.path.lexists(path), messages, *tokens, asked=asked, state=state)


def _plan_state(vault: Vault, path: Path, topic: str, force: bool) -> tuple[bool, str, str]:
    """(asked, what the run would do, the name it asks for) for one topic of ``new --dry-run``."""
    if not os.path.lexists(path):
        return True, "new", topic
    refusal = not_ours(path, vault)
    if refusal is not None:  # a person's note: --force refuses it, `topicgen adopt` takes it over
        return False, f"exists: no call; {refusal}", topic
    if not force:
        return False, "exists: no call; --force replaces it", topic
    from topicgen.upkeep.staleness import ALL_KEYS, read_page_state, topic_of

    state = read_page_state(path)
    edited = [key for key in ALL_KEYS if key in state.edited]
    replacing = f", replacing edited {', '.join(edited)}" if edited else ""
    return True, f"exists; --force regenerates it whole{replacing}", topic_of(state.title, path)


def page_data(saved: Any) -> tuple[Any, str | None]:
    """(page object, recorded topic) from the forms a reply is saved in.

    Accepted: the page itself; ``{"topic": ..., "page": ...}``; a recorded exchange of any
    provider ``--record`` writes (``model.clients.wire.WIRE_FORMATS``: OpenAI, Anthropic, Ollama,
    Gemini), read from its last successful response; a provider's response body saved on its own.
    """
    from topicgen.model.clients.wire import WIRE_FORMATS, wire_format

    if not isinstance(saved, dict):
        raise UsageError("a saved reply must be a JSON object")
    if "page" in saved:
        return saved["page"], saved.get("topic")
    if "response" not in saved and "responses" not in saved:
        return _reply_page(saved, WIRE_FORMATS, otherwise=saved), None
    formats = WIRE_FORMATS
    if "provider" in saved:
        found = wire_format(str(saved["provider"]))
        if found is None:
            known = ", ".join(f.provider for f in WIRE_FORMATS)
            raise UsageError(f"it records provider {saved['provider']!r}; render reads {known}")
        formats = (found,)
    responses = saved.get("responses") or [saved["response"]]
    answered = [r["body"] for r in responses if 200 <= int(r.get("status", 200)) < 300]
    if not answered:
        raise UsageError("the recording holds no successful response")
    return _reply_page(answered[-1], formats), None


def _reply_page(body: Any, formats: Iterable[Any], otherwise: Any = None) -> Any:
    """The page a provider's response body holds, read with the first of ``formats`` that fits;
    ``otherwise`` when none does (else the last one's error)."""
    problem: Exception = ValueError("no provider's response")
    for found in formats:
        try:
            return json.loads(found.reply_text(body))
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as error:
            problem = error
    if otherwise is not None:
        return otherwise
    raise problem


TOPIC_MARKER = "TOPICGEN-TOPIC-MARKER"


def request_topic(saved: dict[str, Any], prompts: Prompts) -> str | None:
    """The topic a recorded exchange asked for: its first user message, read with the user template."""
    from topicgen.model.clients.wire import wire_format

    request = saved.get("request")
    body = request.get("body") if isinstance(request, dict) else None
    found = wire_format(str(saved.get("provider")))
    if not isinstance(body, dict) or found is None:
        return None
    try:
        users = found.user_texts(body)
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return None
    if not users:
        return None
    content = users[0]
    prefix, _, suffix = prompts.messages(TOPIC_MARKER)[-1].content.partition(TOPIC_MARKER)
    if not content.startswith(prefix) or not content.endswith(suffix):
        return None
    return content[len(prefix) : len(content) - len(suffix)].strip() or None


def render_saved_reply(path: Path, topic: str | None, vault_root: Path) -> str:
    from topicgen.model.clients.wire import MAX_RECORDING_BYTES
    from topicgen.model.generate import parse_page_json
    from topicgen.page.render import render_page
    from topicgen.upkeep.view import VaultView
    from topicgen.vault.files import read_named_file

    try:
        saved = json.loads(read_named_file(path, limit=MAX_RECORDING_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not valid JSON: {error}") from None
    try:
        data, recorded_topic = page_data(saved)
    except UsageError as error:
        raise UsageError(f"{path}: {error}") from None
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):  # a crafted or foreign file
        raise UsageError(
            f"{path} is not a page, a saved reply or a recorded exchange topicgen reads"
        ) from None
    if recorded_topic is not None and not isinstance(recorded_topic, str):
        raise UsageError(f"{path}: its topic must be text")
    if isinstance(data, dict) and "request" in saved and data and "title_emoji" not in data:
        raise UsageError(
            f"{path} answers a re-ask of {', '.join(map(str, data))} alone, not a whole page; "
            "render the recording of the page itself ('Write the topic note for: ...')"
        )
    topic = topic or recorded_topic or request_topic(saved, Prompts(vault_root))
    if not topic:
        raise UsageError(f"{path} does not record its topic; pass --topic NAME")
    (topic,) = clean_topics([topic])
    try:
        page = parse_page_json(json.dumps(data))
    except InvalidReply as error:
        raise UsageError(f"{path}: {error}") from None
    vault, settings = open_vault(vault_root)
    return render_page(page, VaultView.scan(vault, settings, remember=False).context(topic))
