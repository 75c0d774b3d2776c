"""What a vault remembers about its batches, under ``<vault>/.topicgen/batches/``.

One folder per batch holds its requests (the provider's JSONL lines), the
label of each request (the page it is for), its state (``batch.json``) and,
once collected, its replies. A batch's lines are on disk before its state
says ``planned``; ``submitting`` is recorded before the provider is asked to
create it and the batch id the moment it answers, so a run killed anywhere
finds every batch again: planned ones are submitted, ones caught
mid-creation are looked up at the provider, submitted ones are polled.
Replies are stored as ``<custom id>\\t<json>`` lines, found again by offset.

Runs (the command a batch run was started with) are kept too, so
``topicgen batch collect`` can finish them.

The state folder may have come with a clone, so it is handled as untrusted:
every file is read as a regular file within a size bound (a FIFO or a link to
``/dev/zero`` is one error line, never a hang), and every folder and file is
made and written without following a link. Batch and run records, and each
stored reply, are sealed with this user's key (``topicgen.user.seal``): a
batch or run someone else recorded is not this user's to submit, resume or
answer from, and an edited reply is no answer; a batch's requests file is
checked against the digest its record holds before it is uploaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, BinaryIO

from topicgen.errors import VaultError
from topicgen.model.clients.base import Finish, ModelReply, Usage
from topicgen.model.clients.batch import MAX_REQUESTS_BYTES, BatchResult
from topicgen.user.seal import is_sealed, seal, user_key
from topicgen.vault.files import open_for_writing, open_regular, read_regular, state_folder

PLANNED, SUBMITTING, SUBMITTED, COLLECTED = "planned", "submitting", "submitted", "collected"
MISSING = "missing from the batch's results"
RESEND_MARK = b'"resend_as": '
COUNTED = "counted"  # custom ids, one a line, whose answers finished pages have used
_RESEND = re.compile(rb'"resend_as": "(\w+)"')
MAX_RECORD_BYTES = 1 << 20  # batch.json and runs/*.json are a few hundred bytes
MAX_LIST_BYTES = MAX_REQUESTS_BYTES // 4  # labels.json and counted: a custom id and a label per request
MAX_REPLIES_BYTES = 32 << 30  # replies.tsv: every reply of a batch of up to 100,000 requests
MAX_LINE_BYTES = 64 << 20  # one reply in replies.tsv


@dataclass
class BatchRecord:
    """One batch: topicgen's name for it, the provider's id once known, and where it stands."""

    name: str
    run: str
    spec: str
    provider: str
    requests: int
    bytes: int
    state: str = PLANNED
    created: float = field(default_factory=time.time)
    file_id: str | None = None
    batch_id: str | None = None
    submitting_since: float | None = None
    provider_state: str = ""
    succeeded: int = 0
    failed: int = 0
    problem: str = ""
    collected: float | None = None
    requests_sha256: str = ""  # of the requests file as planned: what is uploaded must be that

    @property
    def in_flight(self) -> bool:
        return self.state != COLLECTED


@dataclass
class RunRecord:
    """The command a batch run was started with (``new``, ``regen`` or ``adopt`` and its arguments)."""

    id: str
    kind: str
    args: dict[str, Any]
    spec: str
    created: float = field(default_factory=time.time)
    done: bool = False


@dataclass(frozen=True)
class Answer:
    """What a collected batch said about one request: a reply, or why there is none (and, when the
    provider refused the request's form, the form to send it again in)."""

    reply: ModelReply | None
    error: str | None
    batch: str
    collected: float
    resend_as: str | None = None
    counted: bool = False  # a finished page of an earlier pass or run used it: its tokens are counted


def run_id(kind: str, args: dict[str, Any], spec: str) -> str:
    """The same command with the same model is the same run, however often it is started."""
    payload = json.dumps([kind, args, spec], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def _write_json(path: Path, data: Any) -> None:
    """Whole or not at all: a temporary file, fsync, rename."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream, ensure_ascii=False)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """A file's lines, none read past ``MAX_LINE_BYTES`` (a line that long is cut, and fails to parse)."""
    while line := stream.readline(MAX_LINE_BYTES):
        yield line


def _canonical(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _sealed(key: bytes, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its seal: a record of ``kind`` ("batch", "run") this user wrote."""
    return {**data, "seal": seal(key, kind.encode(), _canonical(data))}


def _unsealed(key: bytes, kind: str, saved: Any) -> dict[str, Any] | None:
    """A sealed record's data, or None when this user did not write it (shipped, edited, old)."""
    if not isinstance(saved, dict):
        return None
    mac = saved.pop("seal", None)
    return saved if is_sealed(key, mac, kind.encode(), _canonical(saved)) else None


def _reply_seal(key: bytes, batch: str, custom_id: bytes, entry: bytes) -> str:
    return seal(key, b"reply", batch.encode(), custom_id, entry)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path, limit=MAX_REQUESTS_BYTES) as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _reply_json(reply: ModelReply) -> dict[str, Any]:
    return {
        "text": reply.text,
        "finish": reply.finish.value,
        "model": reply.model,
        "usage": asdict(reply.usage),
        "refusal": reply.refusal,
    }


def _reply_of(data: dict[str, Any]) -> ModelReply:
    known = {f.name for f in fields(Usage)}
    usage = Usage(**{k: v for k, v in (data.get("usage") or {}).items() if k in known})
    return ModelReply(data["text"], Finish(data["finish"]), data["model"], usage, data.get("refusal"))


class AnswerIndex:
    """Collected replies of one model spec by custom id; a later batch's answer wins.

    ``forms``: the request forms results asked to be sent again in (``BatchResult.resend_as``),
    for the batch client to write its next lines in (``BatchClient.adapt``). A request is sent again
    in a form once: refused the same way by a later batch, its answer is final (an error), so a
    rejection that reads like one about the form cannot send it round in a new batch every pass.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._where: dict[str, tuple[Path, int, str, float]] = {}
        self._counted: set[str] = set()
        self._asked: dict[str, dict[str, str]] = {}  # custom id → form → the batch that first asked for it
        self._refused_again: set[str] = set()  # custom ids whose latest answer asks again for such a form
        self.forms: set[str] = set()

    def add(self, path: Path, batch: str, collected: float, counted: set[str] | None = None) -> None:
        """The answers of one collected batch (``counted``: those a finished page has used)."""
        offset = 0
        counted = counted or set()
        with open_regular(path, limit=MAX_REPLIES_BYTES) as stream:
            for line in _lines(stream):
                start = offset
                offset += len(line)
                if self._entry(line, batch) is None:
                    continue  # not sealed by this user for this batch: no answer
                custom_id = line.split(b"\t", 1)[0].decode()
                self._where[custom_id] = (path, start, batch, collected)
                if custom_id in counted:
                    self._counted.add(custom_id)
                else:
                    self._counted.discard(custom_id)
                self._refused_again.discard(custom_id)
                if RESEND_MARK in line and (form := _RESEND.search(line)):
                    name = form.group(1).decode()
                    self.forms.add(name)
                    if self._asked.setdefault(custom_id, {}).setdefault(name, batch) != batch:
                        self._refused_again.add(custom_id)

    def _entry(self, line: bytes, batch: str) -> bytes | None:
        """The JSON of a stored reply line (``<custom id>\\t<json>\\t<seal>``), if this user sealed it."""
        parts = line.rstrip(b"\r\n").split(b"\t")
        if len(parts) != 3:
            return None
        custom_id, entry, mac = parts
        expected = _reply_seal(self.key, batch, custom_id, entry)
        return entry if hmac.compare_digest(mac, expected.encode()) else None

    def __contains__(self, custom_id: str) -> bool:
        return custom_id in self._where

    def batch_of(self, custom_id: str) -> str | None:
        """The batch whose answer to ``custom_id`` counts (the latest one)."""
        found = self._where.get(custom_id)
        return found[2] if found else None

    def __len__(self) -> int:
        return len(self._where)

    def get(self, custom_id: str) -> Answer | None:
        found = self._where.get(custom_id)
        if found is None:
            return None
        path, offset, batch, collected = found
        with open_regular(path, limit=MAX_REPLIES_BYTES) as stream:
            stream.seek(offset)
            entry = self._entry(stream.readline(MAX_LINE_BYTES), batch)
        if entry is None:
            return None
        data = json.loads(entry)
        reply = _reply_of(data["reply"]) if data.get("reply") else None
        counted = custom_id in self._counted
        resend_as = None if custom_id in self._refused_again else data.get("resend_as")
        return Answer(reply, data.get("error"), batch, collected, resend_as, counted)


class BatchStore:
    """The batches and batch runs of one vault; ``under`` is the folder below which no step of a path
    the store writes may be a link (the state folder)."""

    def __init__(self, folder: Path, under: Path | None = None, key: bytes | None = None) -> None:
        self.folder = folder
        self.under = folder.parent if under is None else under
        self.key = user_key() if key is None else key

    @classmethod
    def of_vault(cls, state_dir: Path) -> BatchStore:
        return cls(state_dir / "batches", state_dir)

    def _ensure(self, folder: Path) -> Path:
        return state_folder(folder, under=self.under)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One process at a time plans, submits or collects in this vault (others wait their turn)."""
        with open_for_writing(self._ensure(self.folder) / ".lock", append=True) as stream:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            yield

    # -- runs ----------------------------------------------------------------------------------

    def open_run(self, kind: str, args: dict[str, Any], spec: str) -> RunRecord:
        """The run record of this command (made on its first start; reopened on a rerun)."""
        record = RunRecord(run_id(kind, args, spec), kind, args, spec)
        path = self._ensure(self.folder / "runs") / f"{record.id}.json"
        if path.exists():
            record = self._load_run(path) or record
            record.done = False
        self.save_run(record)
        return record

    def save_run(self, record: RunRecord) -> None:
        path = self._ensure(self.folder / "runs") / f"{record.id}.json"
        _write_json(path, _sealed(self.key, "run", asdict(record)))

    def _load_run(self, path: Path) -> RunRecord | None:
        """A run this user recorded; None for a damaged one, or one recorded by someone else."""
        try:
            saved = _unsealed(self.key, "run", json.loads(read_regular(path, limit=MAX_RECORD_BYTES)))
            record = RunRecord(**saved) if saved is not None else None
        except (OSError, ValueError, TypeError):  # gone, or damaged: not a run to finish
            return None
        return record if record is not None and f"{record.id}.json" == path.name else None

    def runs(self) -> list[RunRecord]:
        folder = self.folder / "runs"
        found = [self._load_run(path) for path in sorted(folder.glob("*.json"))] if folder.is_dir() else []
        return sorted((run for run in found if run is not None), key=lambda run: run.created)

    # -- batches -------------------------------------------------------------------------------

    def batches(self, spec: str | None = None) -> list[BatchRecord]:
        """Every batch recorded (of one model spec, if given), oldest first."""
        found = []
        for folder in self._batch_folders():
            try:
                saved = json.loads(read_regular(folder / "batch.json", limit=MAX_RECORD_BYTES))
                data = _unsealed(self.key, "batch", saved)
                if data is None:
                    continue  # recorded by someone else (a cloned vault's), or edited: not this user's
                record = BatchRecord(**data)
            except (OSError, ValueError, TypeError):  # not there yet (being planned), or damaged
                continue
            if record.name != folder.name:
                continue  # a record naming another folder (``../..``): not one of ours
            if spec is None or record.spec == spec:
                found.append(record)
        return sorted(found, key=lambda record: (record.created, record.name))

    def _batch_folders(self) -> list[Path]:
        """The folders under ``batches/`` (``runs`` aside); a link there is passed over, never followed."""
        try:
            entries = list(os.scandir(self.folder))
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as error:
            raise VaultError(f"cannot read {self.folder}: {error.strerror or error}") from None
        folders = []
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and entry.name != "runs":
                folders.append(Path(entry.path))
        return folders

    def save(self, record: BatchRecord) -> None:
        path = self._ensure(self.folder / record.name) / "batch.json"
        _write_json(path, _sealed(self.key, "batch", asdict(record)))

    def new_name(self, run: RunRecord) -> str:
        """A fresh batch folder's name (the folder is made; it counts once ``batch.json`` is there)."""
        name = f"tg-{run.id}-{time.strftime('%Y%m%d%H%M%S')}-{os.urandom(3).hex()}"
        self._ensure(self.folder / name)
        return name

    def requests_path_of(self, name: str) -> Path:
        return self.folder / name / "requests.jsonl"

    def record_planned(
        self, name: str, run: RunRecord, provider: str, labels: dict[str, str], size: int
    ) -> BatchRecord:
        """Record a batch whose lines are written (and synced): its labels, then its state."""
        _write_json(self.folder / name / "labels.json", labels)
        record = BatchRecord(name, run.id, run.spec, provider, len(labels), size)
        record.requests_sha256 = _file_sha256(self.requests_path(record))
        self.save(record)
        return record

    def check_requests(self, record: BatchRecord) -> None:
        """Refuse to upload a requests file that is not the one this batch was planned with."""
        path = self.requests_path(record)
        if _file_sha256(path) != record.requests_sha256:
            raise VaultError(f"{path} changed since its batch was planned: not submitted (remove its folder)")

    def requests_path(self, record: BatchRecord) -> Path:
        return self.folder / record.name / "requests.jsonl"

    def labels(self, record: BatchRecord) -> dict[str, str]:
        try:
            labels = json.loads(read_regular(self.folder / record.name / "labels.json", limit=MAX_LIST_BYTES))
        except (OSError, ValueError):
            return {}
        return labels if isinstance(labels, dict) else {}

    def in_flight(self, spec: str) -> dict[str, BatchRecord]:
        """custom id → the batch it is in, for batches not collected yet."""
        return {
            custom_id: record
            for record in self.batches(spec)
            if record.in_flight
            for custom_id in self.labels(record)
        }

    def answers(self, spec: str) -> AnswerIndex:
        index = AnswerIndex(self.key)
        for record in self.batches(spec):
            path = self.folder / record.name / "replies.tsv"
            if record.state == COLLECTED and path.exists():
                index.add(path, record.name, record.collected or record.created, self.counted(record.name))
        return index

    def counted(self, name: str) -> set[str]:
        """The custom ids of a batch whose answers finished pages have used (``count``)."""
        try:
            return set(read_regular(self.folder / name / COUNTED, limit=MAX_LIST_BYTES).decode().split())
        except (OSError, UnicodeDecodeError):
            return set()

    def count(self, used: Iterable[tuple[str, str]]) -> None:
        """Record (batch, custom id) answers finished pages used: their tokens are in a summary now,
        and a later run reading them again counts nothing (they were paid once)."""
        by_batch: dict[str, list[str]] = {}
        for batch, custom_id in used:
            by_batch.setdefault(batch, []).append(custom_id)
        for batch, ids in by_batch.items():
            path = self.folder / batch / COUNTED
            # unrecorded, a later rerun counts them again: no worse than before
            with contextlib.suppress(OSError, VaultError), open_for_writing(path, append=True) as stream:
                stream.write("".join(f"{custom_id}\n" for custom_id in ids).encode())

    # -- cleaning ------------------------------------------------------------------------------

    def clean(self, *, dry_run: bool = False) -> tuple[list[BatchRecord], list[tuple[BatchRecord, str]], int]:
        """Remove the state of batches whose results are all collected and written; never one in flight.

        A collected batch goes when every answer in it has been used by a page that finished
        (written, or failed for good) or was superseded by a later batch's answer; or when no
        batch run is unfinished (nothing can read it any more). Returns (removed, kept with why,
        bytes freed). Run records that are done and have no batch left go too. Call under ``lock``.
        ``dry_run``: the same answer, with nothing removed.
        """
        runs = self.runs()
        settled = all(run.done for run in runs)
        removed: list[BatchRecord] = []
        kept: list[tuple[BatchRecord, str]] = []
        freed = 0
        indexes: dict[str, AnswerIndex] = {}
        for record in self.batches():
            folder = self.folder / record.name
            if folder.parent != self.folder or folder.is_symlink() or not folder.is_dir():
                continue  # a record naming somewhere else, or a link: not ours to remove
            if record.in_flight:
                kept.append((record, "in flight"))
                continue
            index = indexes.setdefault(record.spec, self.answers(record.spec))
            if not settled and not self._all_used(record, index):
                kept.append((record, "results not all written yet"))
                continue
            freed += sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
            if not dry_run:
                shutil.rmtree(folder)
            removed.append(record)
        if dry_run:
            return removed, kept, freed
        left = {record.run for record, _ in kept}
        for run in runs:
            if run.done and run.id not in left:
                with contextlib.suppress(FileNotFoundError):
                    (self.folder / "runs" / f"{run.id}.json").unlink()
        return removed, kept, freed

    def _all_used(self, record: BatchRecord, index: AnswerIndex) -> bool:
        """Whether every answer of a collected batch was used by a finished page or answered again later."""
        counted = self.counted(record.name)
        try:
            with open_regular(self.folder / record.name / "replies.tsv", limit=MAX_REPLIES_BYTES) as stream:
                for line in _lines(stream):
                    custom_id = line.split(b"\t", 1)[0].decode()
                    if custom_id not in counted and index.batch_of(custom_id) == record.name:
                        return False
        except FileNotFoundError:
            pass
        return True

    def _reply_line(self, batch: str, custom_id: str, entry: dict[str, Any]) -> str:
        text = json.dumps(entry, ensure_ascii=False)
        mac = _reply_seal(self.key, batch, custom_id.encode(), text.encode())
        return f"{custom_id}\t{text}\t{mac}\n"

    async def collect(self, record: BatchRecord, results: AsyncIterator[BatchResult], problem: str) -> int:
        """Store every result of an ended batch, then mark it collected; returns how many had replies.

        A request the provider did not report is stored as failed (``problem``
        says why, when the whole batch failed).
        """
        labels = self.labels(record)
        final = self._ensure(self.folder / record.name) / "replies.tsv"
        partial = final.with_suffix(".part")
        replied = 0
        with open_for_writing(partial) as raw, io.TextIOWrapper(raw, encoding="utf-8") as stream:
            async for result in results:
                if result.custom_id not in labels:
                    continue
                labels.pop(result.custom_id)
                entry: dict[str, Any] = {"error": result.error}
                if result.resend_as is not None:
                    entry["resend_as"] = result.resend_as
                if result.reply is not None:
                    entry = {"reply": _reply_json(result.reply)}
                    replied += 1
                stream.write(self._reply_line(record.name, result.custom_id, entry))
            for custom_id in labels:
                reason = f"the batch failed: {problem}" if problem else MISSING
                stream.write(self._reply_line(record.name, custom_id, {"error": reason}))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, final)
        record.state, record.collected = COLLECTED, time.time()
        if not (record.succeeded or record.failed):  # a provider that reports no counts (Gemini): ours
            record.succeeded, record.failed = replied, record.requests - replied
        self.save(record)
        return replied
