"""The engine: a concurrency cap, input order, a cost budget and a clean stop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from topicgen.model.clients.base import Usage
from topicgen.runs.engine import Budget, Engine


@dataclass
class Done:
    name: str
    usage: Usage = field(default_factory=Usage)


def test_no_more_than_the_concurrency_cap_run_at_once():
    in_flight = 0
    most = 0

    async def job(name: str) -> Done:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        for _ in range(3):
            await asyncio.sleep(0)
        in_flight -= 1
        return Done(name)

    report = asyncio.run(Engine(4).run([f"t{i}" for i in range(20)], job))
    results = [result for _, result in report.results]
    assert most == 4
    assert [r.name for r in results] == [f"t{i}" for i in range(20)]


def test_results_keep_input_order_whatever_order_jobs_finish_in():
    async def job(name: str) -> Done:
        for _ in range(10 - int(name)):
            await asyncio.sleep(0)
        return Done(name)

    report = asyncio.run(Engine(10).run([str(i) for i in range(10)], job))
    results = [result for _, result in report.results]
    assert [r.name for r in results] == [str(i) for i in range(10)]


def test_the_cost_budget_stops_new_work_and_leaves_the_rest():
    budget = Budget(limit=1.0, cost_of=lambda usage: usage.output_tokens / 100)

    async def job(name: str) -> Done:
        return Done(name, Usage(0, 40, 0))  # $0.40 each

    report = asyncio.run(Engine(1, budget=budget).run(["a", "b", "c", "d", "e"], job))
    assert [item for item, _ in report.results] == ["a", "b", "c"]
    assert report.left == ["d", "e"]
    assert report.budget_reached
    assert round(budget.spent, 6) == 1.2


def test_the_budget_counts_work_in_flight_at_its_estimate():
    budget = Budget(limit=1.0, cost_of=lambda usage: 0.0, per_job_estimate=0.3)
    in_flight = 0
    most = 0

    async def job(name: str) -> Done:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0)
        in_flight -= 1
        return Done(name)

    report = asyncio.run(Engine(8, budget=budget).run(list("abcdefgh"), job))
    assert most == 4  # a fifth job would put $1.20 of estimates in flight
    assert len(report.results) == 8  # the jobs cost nothing in the end, so all of them ran
    assert not report.budget_reached


def test_stop_cancels_jobs_in_flight_and_reports_them_left():
    engine: Engine = Engine(2)
    release = asyncio.Event()

    async def job(name: str) -> Done:
        if name == "a":
            return Done(name)
        if name == "b":
            engine.stop()
        await release.wait()
        return Done(name)

    report = asyncio.run(engine.run(["a", "b", "c", "d"], job))
    assert report.interrupted
    assert [item for item, _ in report.results] == ["a"]
    assert report.left == ["b", "c", "d"]


def test_on_done_sees_every_finished_job():
    seen = []

    async def job(name: str) -> Done:
        return Done(name)

    engine: Engine = Engine(3, on_done=lambda item, result: seen.append(item))
    asyncio.run(engine.run(["x", "y", "z"], job))
    assert sorted(seen) == ["x", "y", "z"]


def test_a_page_being_written_when_the_run_stops_is_finished_not_abandoned(tmp_path):
    from topicgen.runs.workshop import write_whole

    page = tmp_path / "topics" / "rust.md"

    async def stopped_while_writing() -> bool:
        writing = asyncio.ensure_future(write_whole(page, "# Rust\n", overwrite=False))
        await asyncio.sleep(0)  # the write has started in its thread
        writing.cancel()
        await writing
        return writing.cancelled()

    assert asyncio.run(stopped_while_writing()) is False
    assert page.read_text(encoding="utf-8") == "# Rust\n"
