"""Driving a batch run: page passes, submission, waiting, collection, and resuming any of them.

Each pass runs the command's page jobs over the items still open, with
``BatchAnswers`` as their client: pages whose replies have come back are
written (or fail, or are re-asked) exactly as in a live run; requests no
batch has answered are planned into new batches and submitted; pages whose
request is already in a batch in flight wait for it. Then the runner polls
(with backoff) until one of those batches ends, collects it, and passes
again over the pages still waiting. A rerun of the same command, or
``topicgen batch collect``, first finishes what a killed run left: batches
planned but not submitted, caught mid-creation, or ended but not collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from topicgen.config import Settings
from topicgen.errors import TransientError
from topicgen.model.clients.base import ModelClient, Usage
from topicgen.model.clients.batch import BatchClient, BatchStatus
from topicgen.runs.batch.answers import CURRENT, Asking, BatchAnswers, Deferred
from topicgen.runs.batch.plan import Planner
from topicgen.runs.batch.store import PLANNED, SUBMITTED, SUBMITTING, BatchRecord, BatchStore, RunRecord
from topicgen.runs.engine import Engine, RunReport
from topicgen.runs.workshop import Outcome, Status

MAX_POLL_WAIT = 60.0
Worker = Callable[[Any], Awaitable[Outcome]]


@dataclass
class BatchReport(RunReport):
    """A run's report, plus the batches it submitted or waited for."""

    batches: list[BatchRecord] = field(default_factory=list)
    live_calls: int = 0  # follow-up questions asked live (``--reask live``)
    live_usage: Usage = field(default_factory=Usage)  # what they used (part of the outcomes'), at live prices


@dataclass
class Command:
    """A batch run's work: its items, how to label one, the page job for a client, and what to close
    when the run ends (the reference checker its passes share)."""

    kind: str
    args: dict[str, Any]
    items: Sequence[Any]
    label: Callable[[Any], str]
    worker: Callable[[ModelClient], Worker]
    aclose: Callable[[], Awaitable[None]] | None = None


class BatchRunner:
    """Runs one command in batches. Has ``on_done`` and ``stop()`` like an ``Engine``, for the console."""

    def __init__(
        self,
        store: BatchStore,
        settings: Settings,
        command: Command,
        client: BatchClient,
        *,
        live: ModelClient | None = None,
        wait: bool = True,
        retry: bool = True,
        cost: Callable[[Usage], float] | None = None,
        notify: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.command = command
        self.client = client
        self.live = live
        self.wait = wait
        self.retry = retry
        self.cost = cost
        self.notify = notify
        self.on_done: Callable[[Any, Outcome], None] | None = None
        self.on_start: Callable[[Any], None] | None = None
        self._engine: Engine | None = None
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._reported: dict[str, tuple[str, int]] = {}
        self._stopped: list[int] = []  # items a Ctrl-C cut short in a pass
        self._failures = 0  # pages of the last pass whose request the batch could not answer

    @property
    def in_flight(self) -> int:
        """Pages being worked on right now (none while waiting for a batch)."""
        return self._engine.in_flight if self._engine is not None else 0

    def stop(self) -> None:
        """Start no new page, stop waiting; batches in flight stay there for the next run."""
        self._stopping = True
        if self._engine is not None:
            self._engine.stop()
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> BatchReport:
        started = time.perf_counter()
        self._wake = asyncio.Event()
        spec = self.settings.model
        run = self.store.open_run(self.command.kind, self.command.args, spec)
        retry_before = time.time() if self.retry else 0.0
        pending = list(enumerate(self.command.items))
        final: dict[int, tuple[Any, Outcome]] = {}
        cut: list[int] = []
        live_calls, live_usage = 0, Usage()
        spent = 0.0  # USD estimated for the requests this run has submitted
        self._failures = 0
        try:
            with self.store.lock():
                await self._resume(spec)
            while pending:
                with self.store.lock():
                    collected = self.store.answers(spec)
                    self.client.adapt(collected.forms)  # requests refused for their form go in the new one
                    answers = BatchAnswers(
                        spec,
                        collected,
                        set(self.store.in_flight(spec)),
                        live=self.live,
                        retry_before=retry_before,
                    )
                    budget = None if self.settings.max_cost is None else self.settings.max_cost - spent
                    planner = Planner(
                        self.store,
                        run,
                        self.client,
                        self.client.limits.within(
                            self.settings.batch_max_requests, self.settings.batch_max_bytes
                        ),
                        budget=budget,
                        cost=self.cost,
                    )
                    passed, left_out, finished = await self._pass(pending, answers, planner)
                    self.store.count(used for asking in finished for used in asking.used)
                    live_usage = sum((asking.live for asking in finished), live_usage)
                    live_calls += answers.live_calls
                    spent += planner.estimated
                    self._failures = answers.failures
                    for record in planner.close():
                        await self._submit(record)
                cut += left_out
                waiting = []
                for index, item, outcome in passed:
                    final[index] = (item, outcome)
                    if outcome.status is Status.QUEUED and index not in cut:
                        waiting.append((index, item))
                    elif self.on_done is not None:
                        self.on_done(item, outcome)
                if not waiting or not self.wait or self._stopping:
                    break
                if not await self._wait_for_one(spec):
                    break
                pending = waiting
        finally:
            try:
                await self.client.aclose()
                if self.live is not None:
                    await self.live.aclose()
            finally:
                if self.command.aclose is not None:
                    await self.command.aclose()
        elapsed = time.perf_counter() - started
        return self._report(run, final, cut, (live_calls, live_usage), elapsed)

    def _report(
        self,
        run: RunRecord,
        final: dict[int, tuple[Any, Outcome]],
        cut: list[int],
        live: tuple[int, Usage],
        elapsed: float,
    ) -> BatchReport:
        in_flight = self.store.in_flight(run.spec)
        results = []
        for index in sorted(final):
            item, outcome = final[index]
            if index in cut:
                continue
            if outcome.status is Status.QUEUED:
                record = in_flight.get(outcome.detail)
                where = f"{record.batch_id or record.name} ({record.provider})" if record else "none yet"
                outcome.detail = f"in batch {where}"
            results.append((item, outcome))
        queued = any(outcome.status is Status.QUEUED for _, outcome in results)
        if not queued and not cut and not self._stopping and not self._failures:
            run.done = True
            self.store.save_run(run)
        mine = [record for record in self.store.batches(run.spec) if record.run == run.id]
        return BatchReport(
            results=results,
            left=[self.command.items[index] for index in sorted(set(cut + self._stopped))],
            interrupted=self._stopping,
            budget_reached=bool(cut),
            elapsed=elapsed,
            batches=mine,
            live_calls=live[0],
            live_usage=live[1],
        )

    async def _pass(
        self, pending: list[tuple[int, Any]], answers: BatchAnswers, planner: Planner
    ) -> tuple[list[tuple[int, Any, Outcome]], list[int], list[Asking]]:
        """One pass of the page jobs; deferred requests go to ``planner``. Also returns what each job
        that finished (was not deferred) read and asked live."""
        worker = self.command.worker(answers)
        cut: list[int] = []
        finished: list[Asking] = []

        async def job(entry: tuple[int, Any]) -> Outcome:
            index, item = entry
            asking = Asking(self.command.label(item))
            token = CURRENT.set(asking)
            try:
                outcome = await worker(item)
                finished.append(asking)
                return outcome
            except Deferred as deferred:
                if not deferred.in_flight and not planner.add(
                    deferred.custom_id, asking.label, deferred.request
                ):
                    cut.append(index)
                return Outcome(asking.label, Status.QUEUED, None, deferred.custom_id, Usage())
            finally:
                CURRENT.reset(token)

        self._engine = Engine(self.settings.concurrency * 2)
        report = await self._engine.run(pending, job)
        self._engine = None
        passed = [(entry[0], entry[1], outcome) for entry, outcome in report.results]
        self._stopped += [index for index, _ in report.left]
        return passed, cut, finished

    # -- submitting, waiting, collecting -------------------------------------------------------

    async def _resume(self, spec: str) -> None:
        """Finish what an earlier run left: submit planned batches, find half-created ones, collect ended."""
        for record in self.store.batches(spec):
            if record.state in (PLANNED, SUBMITTING):
                await self._submit(record)
            elif record.state == SUBMITTED and record.batch_id:
                status = await self._status(record)
                if status is not None and status.ended:
                    await self._collect(record, status)

    async def _submit(self, record: BatchRecord) -> None:
        path = self.store.requests_path(record)
        if record.state == SUBMITTING:
            assert record.submitting_since is not None
            found = await self.client.find(record.name, record.submitting_since, record.requests)
            if found is None:
                record.state = PLANNED  # the provider never made it: create it now
            else:
                record.batch_id, record.state = found, SUBMITTED
                self.store.save(record)
                self.notify(f"found batch {record.name} ({found}) created by an earlier run")
                return
        if record.file_id is None:
            self.store.check_requests(record)  # what is uploaded is what was planned, nothing put there since
            record.file_id = await self.client.prepare(record.name, path)
            self.store.save(record)
        record.state, record.submitting_since = SUBMITTING, time.time()
        self.store.save(record)
        try:
            record.batch_id = await self.client.create(record.name, path, record.file_id)
        except TransientError:
            found = await self.client.find(record.name, record.submitting_since, record.requests)
            if found is None:
                raise
            record.batch_id = found
        record.state = SUBMITTED
        self.store.save(record)
        self.notify(
            f"submitted {record.requests} request(s) as {record.provider} batch {record.batch_id} "
            f"({record.name})"
        )

    async def _status(self, record: BatchRecord) -> BatchStatus | None:
        assert record.batch_id is not None
        try:
            status = await self.client.status(record.batch_id)
        except TransientError as error:
            self.notify(f"batch {record.batch_id}: {error}; asking again later")
            return None
        done = status.succeeded + status.failed
        last = self._reported.get(record.name)
        if last is None or last[0] != status.state or done - last[1] >= max(1, status.total // 10):
            self._reported[record.name] = (status.state, done)
            elapsed = time.time() - record.created
            counts = f"{done}/{status.total} done, {status.failed} failed " if status.total else ""
            self.notify(f"batch {record.batch_id}: {counts}({status.state}, {elapsed:.0f}s)")
        record.provider_state, record.succeeded, record.failed = status.state, status.succeeded, status.failed
        return status

    async def _collect(self, record: BatchRecord, status: BatchStatus) -> None:
        current = next((r for r in self.store.batches(record.spec) if r.name == record.name), record)
        if current.state != SUBMITTED:
            return  # another process collected it meanwhile
        record.problem = status.problem
        replied = await self.store.collect(record, self.client.results(status), status.problem)
        self.notify(f"collected batch {record.batch_id}: {replied} of {record.requests} replied")

    async def _wait_for_one(self, spec: str) -> bool:
        """Poll the batches in flight with backoff until one has ended and is collected; False if stopped."""
        delay = self.settings.batch_poll
        while not self._stopping:
            flying = [r for r in self.store.batches(spec) if r.state == SUBMITTED and r.batch_id]
            if not flying:
                return True
            for record in flying:
                status = await self._status(record)
                if status is not None and status.ended:
                    with self.store.lock():
                        await self._collect(record, status)
                    return True
            assert self._wake is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            delay = min(delay * 1.5, max(MAX_POLL_WAIT, self.settings.batch_poll))
        return False
