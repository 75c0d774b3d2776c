"""The prices topicgen found in genai-prices, remembered in the user's cache folder.

Finding one price imports genai-prices' whole table (a 1.6 MB module: about 0.2 s, a second
without its bytecode), in every dry run's estimate and every run's summary, to find the price it
found the time before. What ``costs`` found is kept in ``$XDG_CACHE_HOME/topicgen/prices.json``
(``~/.cache/topicgen``), and answers again only for the same question on the same data:

- the same installed genai-prices: its version, folder, and the size and mtime of the files that
  hold and read its prices (an upgrade or a reinstall is a new memo);
- the same provider, model, and live or batch price;
- the same day (``topicgen.clock``): prices are dated, so the memo holds one day's answers, and
  a price that depends on the time of day (off-peak rates) is never kept.

"No price" is an answer too. It is read once a process, through ``read_regular`` (no link,
bounded); anything amiss in it (not JSON, another shape, a price that is not one) is an empty memo.
What a process found is written once, as it ends, whole (a temporary file renamed over it); a
write that fails costs a lookup next time. The suite replaces
``costs.genai_price`` with a fixture, which never reaches this memo, and keeps every user folder
in a temporary one.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import threading
from datetime import date
from pathlib import Path
from typing import Any

from topicgen.errors import TopicgenError
from topicgen.model.price import Price
from topicgen.user.dirs import cache_dir

FORMAT = 1
MEMO_FILE = "prices.json"
MAX_MEMO_BYTES = 1 << 20  # a day's lookups are a few hundred bytes each; more is not our file
PACKAGE = "genai_prices"  # the import name; its distribution is "genai-prices"
FILES = ("data.py", "data_snapshot.py", "types.py")  # the table, and the code that looks prices up in it


@functools.cache
def package_identity() -> list[Any] | None:
    """What identifies the installed genai-prices' data, found without importing it; None if it is
    not installed (or not as a package of files)."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version

    try:
        spec = importlib.util.find_spec(PACKAGE)
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        if len(folders) != 1:
            return None
        files = []
        for name in FILES:
            info = os.stat(os.path.join(folders[0], name))
            files.append([name, info.st_size, info.st_mtime_ns])
        return [version("genai-prices"), folders[0], files]
    except (OSError, ImportError, ValueError, PackageNotFoundError):
        return None


def memo_file() -> Path:
    return cache_dir() / MEMO_FILE


def _key(provider_id: str, model: str, batch: bool) -> str:
    return json.dumps([provider_id, model, "batch" if batch else "live"])


def _stamp(day: date) -> dict[str, Any] | None:
    identity = package_identity()
    return None if identity is None else {"format": FORMAT, "package": identity, "day": day.isoformat()}


_read: dict[tuple[Path, str], dict[str, Any]] = {}  # what this process read or wrote, by file and stamp
_unsaved: dict[tuple[Path, str], dict[str, Any]] = {}  # answers this process added: the stamp's too
_lock = threading.Lock()  # a run prices its model in a helper thread (runs.warmup) as the summary may


def _entries(stamp: dict[str, Any]) -> dict[str, Any]:
    """The memo's answers if it was written for ``stamp``, else none (read once a process)."""
    from topicgen.vault.files import read_regular

    try:
        file = memo_file()
    except TopicgenError:  # no home folder to keep it in
        return {}
    key = (file, json.dumps(stamp, sort_keys=True))
    if key not in _read:
        _read[key] = {}
        try:
            data = json.loads(read_regular(file, limit=MAX_MEMO_BYTES).decode("utf-8"))
            if data["stamp"] == stamp and isinstance(data["prices"], dict):
                _read[key] = data["prices"]
        except (OSError, TopicgenError, ValueError, KeyError, TypeError, RecursionError):
            pass
    return _read[key]


def recall(provider_id: str, model: str, batch: bool, day: date) -> tuple[bool, Price | None]:
    """(whether the memo knows, the price it remembers: None for "genai-prices has none")."""
    stamp = _stamp(day)
    if stamp is None:
        return False, None
    key = _key(provider_id, model, batch)
    with _lock:
        entries = _entries(stamp)
        if key not in entries:
            return False, None
        rates = entries[key]
    if rates is None:
        return True, None
    try:
        return True, Price(**rates)
    except (TypeError, ValueError):  # not a price (pydantic's ValidationError is a ValueError)
        return False, None


def remember(provider_id: str, model: str, batch: bool, day: date, price: Price | None) -> None:
    """Keep ``price`` (None: no price) beside the day's other answers, written as the process ends
    (``save``): ``topicgen models`` finds a hundred prices, and writes the memo once."""
    stamp = _stamp(day)
    if stamp is None:
        return
    with _lock:
        entries = _entries(stamp)
        entries[_key(provider_id, model, batch)] = None if price is None else price.model_dump()
        with contextlib.suppress(TopicgenError):  # no home folder to keep it in
            where = (memo_file(), json.dumps(stamp, sort_keys=True))
            if not _unsaved:
                atexit.register(save)
            _unsaved[where] = {"stamp": stamp, "prices": entries}


def save() -> None:
    """Write what this process added to the memo, quietly if it cannot (a memo lost is only a lookup
    next time): whole, as topicgen writes any file (``write_atomic``: never through a link), for this
    user alone."""
    from topicgen.vault.files import write_atomic

    with _lock:
        for (file, _), memo in _unsaved.items():
            with contextlib.suppress(OSError, TopicgenError):
                write_atomic(file, json.dumps(memo, sort_keys=True), overwrite=True, mode=0o600)
        _unsaved.clear()
