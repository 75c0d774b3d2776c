"""What the installed provider SDKs list as deprecated, read from their source files, not imported.

The OpenAI SDK lists deprecated models with their shutdown dates in the text
after ``ChatModel = Literal[...]`` (Python drops that string at runtime); the
Anthropic SDK keeps ``DEPRECATED_MODELS`` in ``anthropic/_data``. Both are
read as text where the installed package keeps them, without importing the
SDK: a run checks its model before its first request, and importing an SDK
takes most of a second (the SDK then loads in the background, ``runs.warmup``).
Best effort: a list that moved or changed shape reads as empty.
"""

from __future__ import annotations

import ast
import contextlib
import datetime as dt
import importlib.util
import itertools
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

_DOC_ITEM = re.compile(r"\n- ")
_SHUTDOWN_DATE = re.compile(r"shutdown date: (\d{4}-\d{2}-\d{2})")
_QUOTED_NAME = re.compile(r'"([^"]+)"')
_MONTHS = [
    *("january", "february", "march", "april", "may", "june"),
    *("july", "august", "september", "october", "november", "december"),
]
_WORDS_DATE = re.compile(r"([A-Za-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")


def package_file(package: str, *parts: str) -> Path | None:
    """A file inside an installed package, found without importing the package; None if not installed."""
    with contextlib.suppress(ImportError, ValueError):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            return Path(spec.origin).parent.joinpath(*parts)
    return None


def openai_deprecation_dates(text: str) -> dict[str, dt.date | None]:
    """The OpenAI SDK's 'Deprecated values' text → model id → shutdown date (None: no longer supported)."""
    dates: dict[str, dt.date | None] = {}
    for item in _DOC_ITEM.split(text):
        item = " ".join(item.split())
        head, _, tail = item.partition('": ')
        date = _SHUTDOWN_DATE.search(tail)
        for model in _QUOTED_NAME.findall(head + '"'):
            dates[model] = dt.date.fromisoformat(date.group(1)) if date else None
    return dates


def anthropic_deprecation_dates(table: Mapping[str, Any]) -> dict[str, dt.date | None]:
    """``DEPRECATED_MODELS`` → model id → date (the dates are words there, 'November 30th, 2026';
    None when one is not a date)."""
    return {model: words_date(str(when)) for model, when in dict(table).items()}


def words_date(text: str) -> dt.date | None:
    """'November 30th, 2026' → 2026-11-30; None if it is not a date in words."""
    found = _WORDS_DATE.search(text)
    if found is None or found.group(1).casefold() not in _MONTHS:
        return None
    month = _MONTHS.index(found.group(1).casefold()) + 1
    with contextlib.suppress(ValueError):
        return dt.date(int(found.group(3)), month, int(found.group(2)))
    return None


def _module(path: Path | None) -> list[ast.stmt]:
    if path is None or not path.is_file():
        return []
    return ast.parse(path.read_text(encoding="utf-8")).body


def openai_deprecations() -> dict[str, dt.date | None]:
    """The installed OpenAI SDK's deprecated models (``openai/types/shared/chat_model.py``)."""
    body = _module(package_file("openai", "types", "shared", "chat_model.py"))
    text = next(
        (
            after.value.value
            for before, after in itertools.pairwise(body)
            if isinstance(before, ast.Assign | ast.AnnAssign)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ),
        "",
    )
    return openai_deprecation_dates(text)


def anthropic_deprecations() -> dict[str, dt.date | None]:
    """The installed Anthropic SDK's deprecated models (``anthropic/_data/deprecated_models.py``)."""
    for statement in _module(package_file("anthropic", "_data", "deprecated_models.py")):
        target = statement.target if isinstance(statement, ast.AnnAssign) else None
        if isinstance(statement, ast.Assign) and statement.targets:
            target = statement.targets[0]
        if isinstance(target, ast.Name) and target.id == "DEPRECATED_MODELS" and statement.value is not None:
            return anthropic_deprecation_dates(ast.literal_eval(statement.value))
    return {}


# The providers whose SDK lists the models it deprecates, and how each list is read.
READERS: dict[str, Callable[[], dict[str, dt.date | None]]] = {
    "openai": openai_deprecations,
    "anthropic": anthropic_deprecations,
}
