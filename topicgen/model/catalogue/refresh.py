"""Refresh the model catalogue from what the newest SDKs, genai-prices and the providers say.

A maintainer's command, never CI's gate (README, "Models"):

    pip install -U openai anthropic genai-prices
    python -m topicgen.model.catalogue refresh            # prints the diff to review
    python -m topicgen.model.catalogue refresh --write    # then writes it

It reads the installed SDKs' model and deprecation lists, genai-prices'
prices, and, when ``ANTHROPIC_API_KEY`` / ``OPENAI_API_KEY`` are set, the
providers' model APIs (Anthropic's ``models.list`` gives ``lifecycle``,
``deprecated_at``, ``retires_at`` and capabilities; OpenAI's model objects
carry ``shutdown_date``). What it learns is merged into the catalogue under
the catalogue's rules: a model is never removed, its lifecycle only moves
forward, and a model an SDK stopped listing after its retirement date is
marked retired. Every changed fact names its source and the day it was checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from topicgen import clock
from topicgen.model.catalogue import CATALOGUE_FILE, STAGES, Catalogue, ModelFacts, Rates, catalogue
from topicgen.model.catalogue.lifecycle import SDK_PACKAGES, sdk_version
from topicgen.model.catalogue.sdk_lists import READERS

DATED_ALIAS = (r"-\d{4}-\d{2}-\d{2}$", r"-\d{8}$")
# Models that cannot write a page (speech, search, images, realtime): SDKs list them, the catalogue does not.
NOT_FOR_PAGES = re.compile(r"audio|search|realtime|transcribe|tts|image|embedding|codex-mini")


@dataclass(frozen=True)
class Heard:
    """What one source says of one model; None where it says nothing."""

    status: str | None = None
    retires: dt.date | None = None
    deprecated: dt.date | None = None
    structured_outputs: bool | None = None
    effort: tuple[str, ...] | None = None
    batch: bool | None = None
    source: str = ""


@dataclass
class Sources:
    """Everything a refresh reads, by provider: the models an SDK lists, what sources say of models,
    and prices. Gathered from the installed packages (``gather``) or given by a test."""

    listed: dict[str, set[str]] = field(default_factory=dict)  # provider → model ids its SDK lists
    heard: dict[str, list[Heard]] = field(default_factory=dict)  # spec → what sources say
    prices: dict[str, tuple[Rates | None, Rates | None, str]] = field(
        default_factory=dict
    )  # spec → live, batch, source


def merge(current: Catalogue, sources: Sources, today: dt.date) -> Catalogue:
    """The catalogue with what the sources say merged in: new models added, lifecycles moved forward
    (never back), models an SDK stopped listing past their date retired, prices updated."""
    models = dict(current.models)
    for spec, said in sorted(sources.heard.items()):
        if NOT_FOR_PAGES.search(spec):
            continue
        facts = models.get(spec) or _find_alias(current, spec)
        models[spec if facts is None else _key(current, spec)] = _merge_heard(facts, said, today)
    for provider, listed in sorted(sources.listed.items()):
        for model in sorted(listed):
            spec = f"{provider}:{model}"
            new = current.find(spec) is None and spec not in models
            if new and not NOT_FOR_PAGES.search(model) and not _is_dated_alias(model, listed):
                models[spec] = ModelFacts(checked=today, sources={"lifecycle": f"{_sdk(provider)}: listed"})
        for spec, facts in list(models.items()):
            if spec.partition(":")[0] != provider or facts.status == "retired":
                continue
            model = spec.partition(":")[2]
            gone = model not in listed and not any(alias in listed for alias in facts.aliases)
            if gone and facts.retires is not None and facts.retires < today:
                note = f"{_sdk(provider)}: no longer listed after its retirement date {facts.retires}"
                models[spec] = _with(facts, today, status="retired", lifecycle=note)
    for spec, (live, batch, source) in sorted(sources.prices.items()):
        found = current.find(spec)
        if found is not None and found[0] != spec:
            continue  # a dated alias: its model is priced under its own name
        live, batch, key = _rates(live), _rates(batch), spec
        if key in models and live and (models[key].price, models[key].batch_price) != (live, batch):
            models[key] = _with(models[key], today, price=live, batch_price=batch, price_source=source)
    return Catalogue(checked=today, models=models)


def _rates(price: Rates | None) -> Rates | None:
    return None if price is None else Rates(**price.model_dump())


def _key(current: Catalogue, spec: str) -> str:
    found = current.find(spec)
    return found[0] if found else spec


def _find_alias(current: Catalogue, spec: str) -> ModelFacts | None:
    found = current.find(spec)
    return found[1] if found else None


def _is_dated_alias(model: str, listed: Iterable[str]) -> bool:
    return any(re.search(pattern, model) and re.sub(pattern, "", model) in listed for pattern in DATED_ALIAS)


def _sdk(provider: str) -> str:
    return f"{SDK_PACKAGES.get(provider, provider)} SDK {sdk_version(provider)}"


def _merge_heard(facts: ModelFacts | None, said: list[Heard], today: dt.date) -> ModelFacts:
    facts = facts or ModelFacts(checked=today)
    for heard in said:
        changes: dict[str, Any] = {}
        if heard.status and STAGES[heard.status] > STAGES[facts.status]:
            changes["status"] = heard.status
        if heard.retires and heard.retires != facts.retires and facts.status != "retired":
            changes["retires"] = heard.retires
        if heard.deprecated and facts.deprecated is None:
            changes["deprecated"] = heard.deprecated
        for name in ("structured_outputs", "effort", "batch"):
            value = getattr(heard, name)
            if value is not None and value != getattr(facts, name):
                changes[name] = value
        if changes:
            lifecycle = heard.source if {"status", "retires", "deprecated"} & changes.keys() else None
            capability = heard.source if {"structured_outputs", "effort", "batch"} & changes.keys() else None
            facts = _with(facts, today, lifecycle=lifecycle, capabilities=capability, **changes)
    return facts


def _with(facts: ModelFacts, today: dt.date, **changes: Any) -> ModelFacts:
    sources = dict(facts.sources)
    for fact in ("lifecycle", "capabilities"):
        if said := changes.pop(fact, None):
            sources[fact] = said
    if said := changes.pop("price_source", None):
        sources["price"] = said
    return facts.model_copy(update={**changes, "sources": sources, "checked": today})


def gather(current: Catalogue, environ: Mapping[str, str] = os.environ) -> Sources:
    """What the installed SDKs and genai-prices say, and the providers' model APIs where a key is set."""
    from importlib import import_module
    from importlib.metadata import version

    from topicgen.model.clients import BUILTIN_FACTORIES
    from topicgen.model.costs import genai_price

    sources = Sources()
    for provider in SDK_PACKAGES:
        adapter = import_module(BUILTIN_FACTORIES[provider].partition(":")[0])
        sources.listed[provider] = set(adapter.known_models())
        for model, date in READERS[provider]().items():
            # OpenAI's shutdown date is the day it stops serving; Anthropic's SDK drops a model once gone.
            past = date is not None and date < clock.today() and provider == "openai"
            status = "deprecated" if date and not past else "retired"
            heard = Heard(status=status, retires=date, source=f"{_sdk(provider)}: deprecation list")
            sources.heard.setdefault(f"{provider}:{model}", []).append(heard)
    for spec, heard in _provider_apis(environ):
        sources.heard.setdefault(spec, []).append(heard)
    prices_version = version("genai-prices")
    for spec in sorted(set(current.models) | {f"{p}:{m}" for p, ms in sources.listed.items() for m in ms}):
        provider, _, model = spec.partition(":")
        live = genai_price(provider, model)
        if live is not None:
            batch = genai_price(provider, model, batch=True)
            sources.prices[spec] = (live, batch, f"genai-prices {prices_version}")
    return sources


def _provider_apis(environ: Mapping[str, str]) -> Iterable[tuple[str, Heard]]:
    """What the providers' model APIs say, for each provider whose key is set (live calls)."""
    from importlib import import_module

    from topicgen.model.clients import BUILTIN_FACTORIES

    for provider, variable in (("anthropic", "ANTHROPIC_API_KEY"), ("openai", "OPENAI_API_KEY")):
        if environ.get(variable):
            adapter = import_module(BUILTIN_FACTORIES[provider].partition(":")[0])
            for model, facts in adapter.listed_models(environ[variable]):
                yield f"{provider}:{model}", Heard(**facts)


def diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        "models.json",
        "models.json (refreshed)",
    )
    return "".join(lines)


def main(argv: list[str] | None = None, gathered: Callable[[Catalogue], Sources] = gather) -> int:
    parser = argparse.ArgumentParser(prog="python -m topicgen.model.catalogue")
    commands = parser.add_subparsers(dest="command", required=True)
    refresh = commands.add_parser("refresh", help="merge what the SDKs, genai-prices and the APIs say")
    refresh.add_argument("--write", action="store_true", help="write the refreshed catalogue")
    args = parser.parse_args(argv)
    current = catalogue()
    refreshed = merge(current, gathered(current), clock.today())
    before, after = current.dumps(), refreshed.dumps()
    changes = diff(before, after)
    sys.stdout.write(changes or "the catalogue is current\n")
    if args.write and changes:
        CATALOGUE_FILE.write_text(after, encoding="utf-8")
        sys.stderr.write(f"wrote {CATALOGUE_FILE}\n")
    return 0
