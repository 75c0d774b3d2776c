"""The catalogue as a person reads it (``topicgen models``): one row a model, prices beside facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from topicgen.model.catalogue import ModelFacts, catalogue
from topicgen.model.catalogue.lifecycle import lifecycle
from topicgen.model.costs import Price, price_for


@dataclass(frozen=True)
class ModelRow:
    spec: str
    status: str
    retires: dt.date | None
    successor: str | None
    live: Price | None
    batch: Price | None
    facts: ModelFacts
    default: bool

    def as_json(self) -> dict[str, Any]:
        def rates(price: Price | None) -> dict[str, float] | None:
            return None if price is None else {"input": price.input, "output": price.output}

        facts = self.facts
        return {
            "model": self.spec,
            "status": self.status,
            "retires": self.retires.isoformat() if self.retires else None,
            "successor": self.successor,
            "price": rates(self.live),
            "batch_price": rates(self.batch),
            "structured_outputs": facts.structured_outputs,
            "effort": list(facts.effort) if facts.effort is not None else None,
            "batch": facts.batch,
            "cache_min_tokens": facts.cache_min_tokens,
            "default": self.default,
            "recommended": facts.recommended,
            "checked": facts.checked.isoformat(),
            "sources": facts.sources,
        }


def model_rows(
    *, provider: str | None = None, include_retired: bool = False, default: str = ""
) -> Iterator[ModelRow]:
    """Every catalogued model (of ``provider``), current ones only unless ``include_retired``; the
    installed SDKs' deprecation lists are merged in as for a run."""
    for spec, facts in sorted(catalogue().models.items()):
        if provider is not None and spec.partition(":")[0] != provider:
            continue
        state = lifecycle(spec)
        status = state.status if state else facts.status
        if status == "retired" and not include_retired:
            continue
        yield ModelRow(
            spec=spec,
            status=status,
            retires=state.retires if state else facts.retires,
            successor=facts.successor,
            live=price_for(spec),
            batch=price_for(spec, batch=True) if facts.batch else None,
            facts=facts,
            default=spec == default,
        )
