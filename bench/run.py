"""topicgen's benchmarks in one command: start-up, local work per page, throughput, memory.

    python bench/run.py            # the full run (about 15 minutes); writes bench/results.json
    python bench/run.py --huge     # and the stale scan at 100,000 pages (1.3 GB of pages; minutes more)
    python bench/run.py --smoke    # seconds; writes bench/results-smoke.json (CI runs this)

How it measures (a topicgen process's wall, CPU and own peak RSS; the SDK
floor; the fake provider's environment) is bench/measure.py, shared with
bench/stale.py and bench/batch.py.

What is measured:

- **start-up**: ``topicgen --help`` in a fresh process (bench/startup.py's
  ``measure_startup``).
- **local work per page**: what topicgen does for one page besides waiting for
  the model: validate the reply, render the note, write it atomically (lock,
  temporary file, fsync, link); the median and p95 in ms, per step and for the
  whole ``Drafter`` pipeline with an in-process client (no network). Python
  heap peak from tracemalloc.
- **throughput**: ``topicgen new --from FILE --concurrency C [--rpm R --tpm T]``
  as a fresh process against the fake provider (topicgen.testing.FakeProvider)
  with a fixed latency and, per scenario, server-side rate limits. The wall time
  is compared with the bound ``max(N × latency / concurrency, N / rate)``, where
  rate is the tighter of the rpm and tpm limits (tpm converted with the tokens
  each page really cost). Reported: the ratio for the whole command (start-up
  included) and for the serving window (first request to last response, as
  the server saw it), 429s served, pages lost (asked for, not written and valid),
  and the process's peak RSS.
- **near the floor**: ``topicgen new`` and then ``regen --stale`` (every page
  regenerated whole, the same requests as ``new``) for 200 topics at
  concurrency 16 with 1 s replies, beside the OpenAI SDK alone sending the
  same requests to the same server (``measure.sdk_floor``), interleaved three
  times; each run's wall time (start-up included) as a ratio to its round's
  floor.
- **section savings** (bench/sections.py, when present): tokens saved by
  regenerating sections instead of the whole page.
- **replies that drift** (bench/drift.py): ``topicgen new`` through the OpenAI
  and Anthropic wire formats without drift, with drift on half of the replies,
  and with a wrong section in a fifth: pages written, sections re-asked,
  output tokens against the run without drift.
- **reference checks** (bench/verify.py): the lookups' share of a page's wall
  time, uncached and cached, and the tokens of the books re-ask.
- **stale scan** (bench/stale.py): ``topicgen stale --json`` over vaults of
  model-sized pages, cold (no scan cache) and warm, at 1,000 and 10,000 pages
  (and 100,000 with ``--huge``), with peak memory.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from measure import (  # noqa: E402  (bench/measure.py: how every benchmark measures)
    REPO,
    fake_provider_env,
    load_average,
    request_bodies,
    run_topicgen,
    sdk_floor,
)

PAGE_JSON = REPO / "fixtures" / "pages" / "large-language-models.json"
REFERENCE_VAULT = REPO / "fixtures" / "vaults" / "reference"


@dataclass(frozen=True)
class Scenario:
    name: str
    topics: int
    latency: float
    concurrency: int
    server_rpm: int | None = None  # what the fake provider enforces (429 above it)
    server_tpm: int | None = None
    client_rpm: int | None = None  # what topicgen is told (--rpm / --tpm)
    client_tpm: int | None = None


def full_scenarios() -> list[Scenario]:
    return [
        Scenario("latency-bound", 200, 1.0, 16),
        Scenario("latency-bound, 5 s replies", 200, 5.0, 16),  # closer to real page latencies
        Scenario("rpm-bound, client told", 200, 1.0, 16, server_rpm=600, client_rpm=600),
        Scenario("rpm-bound, client not told", 200, 1.0, 16, server_rpm=600),
        Scenario("tpm-bound, client told", 200, 1.0, 16, server_tpm=3_000_000, client_tpm=3_000_000),
    ]


def smoke_scenarios() -> list[Scenario]:
    return [
        Scenario("latency-bound", 20, 0.1, 4),
        Scenario("rpm-bound, client told", 20, 0.05, 8, server_rpm=1_200, client_rpm=1_200),
    ]


# --- start-up -------------------------------------------------------------------------------------


def startup(runs: int) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from startup import measure_startup  # bench/startup.py

    return dict(measure_startup(runs))


# --- local work per page --------------------------------------------------------------------------


def _milliseconds(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000}


def local_work(iterations: int) -> dict[str, Any]:
    """Validate + render + write for one page, step by step and through the Drafter; no network."""
    import asyncio

    from topicgen.config import load_settings
    from topicgen.model.clients.base import Finish, ModelReply, Usage
    from topicgen.model.generate import parse_page_json
    from topicgen.page.render import Provenance, render_page
    from topicgen.runs.draft import Drafter
    from topicgen.runs.workshop import Status
    from topicgen.upkeep.view import VaultView
    from topicgen.vault import Vault
    from topicgen.vault.files import page_lock, write_atomic

    text = PAGE_JSON.read_text(encoding="utf-8")

    class InstantClient:
        spec = "openai:bench"

        async def complete(self, request: Any) -> ModelReply:
            return ModelReply(text, Finish.STOP, "bench", Usage(4000, 2000, 0))

        async def aclose(self) -> None:
            pass

    steps: dict[str, list[float]] = {"validate": [], "render": [], "write": [], "total": []}
    pipeline: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "vault"
        shutil.copytree(REFERENCE_VAULT, root)
        vault, settings = Vault.open(root), load_settings(root)
        view = VaultView.scan(vault, settings)
        provenance = Provenance("openai:bench", "2026-11-01T09:00:00Z", "sha256:0000000000000000")
        vault.topics_dir.mkdir(exist_ok=True)

        def one(topic: str) -> list[float]:
            start = time.perf_counter()
            page = parse_page_json(text)
            validated = time.perf_counter()
            context = view.context(topic)
            note = render_page(page, context, provenance)
            rendered = time.perf_counter()
            with page_lock(vault.lock_dir, context.slug):
                write_atomic(vault.topic_path(context.slug), note, overwrite=False)
            written = time.perf_counter()
            return [validated - start, rendered - validated, written - rendered, written - start]

        one("Warm Up")
        for n in range(iterations):
            for name, seconds in zip(steps, one(f"Local Step {n:05d}"), strict=True):
                steps[name].append(seconds)

        drafter = Drafter(vault, settings, InstantClient())  # type: ignore[arg-type]

        async def drafts() -> None:
            for n in range(iterations + 1):
                start = time.perf_counter()
                outcome = await drafter.draft(f"Local Draft {n:05d}")
                if n:  # the first one warms up
                    pipeline.append(time.perf_counter() - start)
                assert outcome.status is Status.WRITTEN, outcome.detail

        asyncio.run(drafts())

        tracemalloc.start()
        for n in range(min(iterations, 20)):
            one(f"Local Heap {n:05d}")
        _, heap_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        page_bytes = (vault.topics_dir / "warm-up.md").stat().st_size
    result: dict[str, Any] = {"iterations": iterations, "page_bytes": page_bytes}
    result.update({name: _milliseconds(samples) for name, samples in steps.items()})
    result["drafter_pipeline"] = _milliseconds(pipeline)
    result["heap_peak_mib"] = heap_peak / 2**20
    return result


# --- throughput against the fake provider ---------------------------------------------------------


def _page_is_valid(path: Path, topic: str) -> bool:
    import yaml

    from topicgen.page.outline import OUTLINE

    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return False
    meta_text, _, body = text[4:].partition("\n---\n")
    meta = yaml.safe_load(meta_text)
    headings = [line.rstrip() for line in body.split("\n") if line.startswith("### ")]
    return (
        isinstance(meta, dict)
        and str(meta.get("title", "")).endswith(" " + topic)
        and headings == [f"### {section.heading}" for section in OUTLINE]
    )


def throughput(scenario: Scenario) -> dict[str, Any]:
    from topicgen.testing import FakeProvider
    from topicgen.vault.slugs import slug_for

    topics = [f"Throughput Topic {n:04d}" for n in range(scenario.topics)]
    server = FakeProvider(
        latency=scenario.latency,
        rpm=scenario.server_rpm,
        tpm=scenario.server_tpm,
        record_requests=False,
    )
    with server, tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "vault"
        root.mkdir()
        listing = Path(scratch) / "topics.txt"
        listing.write_text("\n".join(topics) + "\n", encoding="utf-8")
        command = [
            "new",
            "--from",
            str(listing),
            "--vault",
            str(root),
            "--concurrency",
            str(scenario.concurrency),
        ]
        if scenario.client_rpm:
            command += ["--rpm", str(scenario.client_rpm)]
        if scenario.client_tpm:
            command += ["--tpm", str(scenario.client_tpm)]
        start = time.perf_counter()
        done = run_topicgen(command, fake_provider_env(server.openai_base_url))
        ended = time.perf_counter()
        wall = done.wall_s
        stats = server.stats()
        written = sum(
            1
            for topic in topics
            if (page := root / "topics" / f"{slug_for(topic)}.md").exists() and _page_is_valid(page, topic)
        )
    failed = re.search(r"(\d+) failed", done.stderr)
    served = max(1, stats.count("ok"))
    tokens_per_page = (stats.input_tokens + stats.output_tokens) / served
    rates = []
    if limit := _tighter(scenario.server_rpm, scenario.client_rpm):
        rates.append(limit / 60)
    if limit := _tighter(scenario.server_tpm, scenario.client_tpm):
        rates.append(limit / 60 / tokens_per_page)
    rate = min(rates) if rates else math.inf
    latency_bound = scenario.topics * scenario.latency / scenario.concurrency
    bound = max(latency_bound, scenario.topics / rate)
    window = (stats.last_response or 0) - (stats.first_request or 0)
    return {
        **asdict(scenario),
        "exit_code": done.exit_code,
        "wall_s": wall,
        "serving_window_s": window,
        "bound_s": bound,
        "ratio_wall": wall / bound,
        "ratio_window": window / bound,
        "to_first_request_s": (stats.first_request or start) - start,
        "after_last_response_s": ended - (stats.last_response or ended),
        "written": written,
        "failed": int(failed.group(1)) if failed else 0,
        "lost": scenario.topics - written,
        "requests": stats.requests,
        "rate_limited_429": stats.count("rate_limited"),
        "max_in_flight": stats.max_in_flight,
        "rate_per_s": None if math.isinf(rate) else rate,
        "tokens_per_page": round(tokens_per_page),
        "peak_rss_mib": done.peak_rss_mib,
        "summary": next((line.strip() for line in reversed(done.stderr.splitlines()) if " in " in line), ""),
        "failures": [" ".join(line.split()) for line in done.stderr.splitlines() if "│ failed" in line][:3],
    }


# --- near the floor: new and regen --stale beside the SDK alone, same server, same run -------------


@dataclass(frozen=True)
class FloorSpec:
    topics: int
    latency: float
    concurrency: int
    rounds: int


def _made_stale(root: Path) -> None:
    """Every page as if written under an older prompt (whole-page regeneration, the same request as
    ``new`` sent), and no reply cached: regen asks the model for every page."""
    old = "topicgen_fingerprint: sha256:0000000000000000"
    for page in (root / "topics").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        page.write_text(
            re.sub(r"^topicgen_fingerprint: .*$", old, text, count=1, flags=re.M), encoding="utf-8"
        )
    shutil.rmtree(root / ".topicgen" / "cache" / "replies", ignore_errors=True)


def _current_pages(root: Path, topics: list[str]) -> int:
    """Pages of ``topics`` that are valid and carry the current fingerprint."""
    from topicgen.model.fingerprint import vault_fingerprint
    from topicgen.upkeep.staleness import read_page_state
    from topicgen.vault.slugs import slug_for

    current = vault_fingerprint(root)
    paths = [root / "topics" / f"{slug_for(topic)}.md" for topic in topics]
    return sum(
        1
        for topic, path in zip(topics, paths, strict=True)
        if path.exists() and _page_is_valid(path, topic) and read_page_state(path).fingerprint == current
    )


def _window(stats: Any) -> float:
    """First request to last response, as the fake provider saw them."""
    return (stats.last_response or 0.0) - (stats.first_request or 0.0)


def near_the_floor(spec: FloorSpec) -> dict[str, Any]:
    """``new`` and then ``regen --stale`` over the same topics, beside the OpenAI SDK alone sending the
    same requests (bench/measure.py's ``sdk_floor``), against one fake provider; the three interleaved
    ``rounds`` times, so the machine's noise falls on all of them alike. Ratios are to the floor of the
    same round; topicgen's wall time is its whole process, start-up included."""
    from topicgen.testing import FakeProvider

    topics = [f"Floor Topic {n:04d}" for n in range(spec.topics)]
    rounds = []
    with (
        FakeProvider(latency=spec.latency, record_requests=False) as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        listing = Path(scratch) / "topics.txt"
        listing.write_text("\n".join(topics) + "\n", encoding="utf-8")
        env = fake_provider_env(server.openai_base_url)
        bodies = request_bodies(Path(scratch), topics)
        for number in range(spec.rounds):
            root = Path(scratch) / f"vault-{number}"
            root.mkdir()
            server.reset_stats()
            floor = sdk_floor(server.openai_base_url, bodies, spec.concurrency)
            runs: dict[str, Any] = {"floor_window_s": _window(server.stats())}
            for name, args in (
                ("new", ["new", "--from", str(listing)]),
                ("regen", ["regen", "--stale"]),
            ):
                if name == "regen":
                    _made_stale(root)
                server.reset_stats()
                start = time.perf_counter()
                done = run_topicgen(
                    [*args, "--vault", str(root), "--concurrency", str(spec.concurrency)], env
                )
                ended, stats = time.perf_counter(), server.stats()
                runs[name] = {
                    "exit_code": done.exit_code,
                    "wall_s": done.wall_s,
                    "ratio": done.wall_s / floor.warm_s,
                    "program_ratio": done.wall_s / floor.program_s,
                    "to_first_request_s": (stats.first_request or start) - start,
                    "window_s": _window(stats),
                    "after_last_response_s": ended - (stats.last_response or ended),
                    "cpu_s": done.cpu_s,
                    "peak_rss_mib": done.peak_rss_mib,
                    "written": _current_pages(root, topics),
                }
            rounds.append({"floor_s": floor.warm_s, "floor_program_s": floor.program_s, **runs})
            shutil.rmtree(root)
    return {
        **asdict(spec),
        "bound_s": spec.topics * spec.latency / spec.concurrency,
        "rounds_run": rounds,
        "floor_s": statistics.median(r["floor_s"] for r in rounds),
        "new_ratio": statistics.median(r["new"]["ratio"] for r in rounds),
        "regen_ratio": statistics.median(r["regen"]["ratio"] for r in rounds),
        "floor_program_s": statistics.median(r["floor_program_s"] for r in rounds),
        "new_program_ratio": statistics.median(r["new"]["program_ratio"] for r in rounds),
        "regen_program_ratio": statistics.median(r["regen"]["program_ratio"] for r in rounds),
        "lost": max(spec.topics - min(r["new"]["written"], r["regen"]["written"]) for r in rounds),
        "load_average": load_average(),
    }


def print_floor(result: dict[str, Any]) -> None:
    print(
        f"near the floor: {result['topics']} topics, {result['latency']:g} s replies, concurrency "
        f"{result['concurrency']}: topicgen beside the OpenAI SDK alone, same server, same run"
    )
    run_columns = f"{'ratio':>6} {'(prog)':>6} {'start':>5} {'window':>6} {'tail':>5}"
    print(
        f"  {'round':>5} {'SDK floor s':>11} {'(window)':>8} {'(program)':>9} | {'new s':>6} {run_columns} | "
        f"{'regen --stale s':>15} {run_columns}"
    )
    for number, row in enumerate(result["rounds_run"], start=1):
        cells = [
            f"{run['wall_s']:>{width}.2f} {run['ratio']:>6.3f} {run['program_ratio']:>6.3f} "
            f"{run['to_first_request_s']:>5.2f} {run['window_s']:>6.2f} {run['after_last_response_s']:>5.2f}"
            for run, width in ((row["new"], 6), (row["regen"], 15))
        ]
        print(
            f"  {number:>5} {row['floor_s']:>11.2f} {row['floor_window_s']:>8.2f} "
            f"{row['floor_program_s']:>9.2f} | {cells[0]} | {cells[1]}"
        )
    print("  SDK floor: first request to last reply parsed, SDK imported and client built before the clock;")
    print("  (program): the SDK alone as a program, spawn to exit (its import included); ratio: to the")
    print("  floor, (prog): to the program; start: spawn to first request; window: first request to last")
    print("  reply (as the server saw them); tail: last reply to exit")
    print(
        f"  median: floor {result['floor_s']:.2f} s (bound {result['bound_s']:.2f} s), as a program "
        f"{result['floor_program_s']:.2f} s; new {result['new_ratio']:.3f}x the floor "
        f"({result['new_program_ratio']:.3f}x the program), regen --stale {result['regen_ratio']:.3f}x "
        f"({result['regen_program_ratio']:.3f}x) (target <= 1.05x); lost {result['lost']}; load average "
        f"{result['load_average']:.1f}"
    )


def floor_spec(smoke: bool) -> FloorSpec:
    return FloorSpec(20, 0.1, 4, 1) if smoke else FloorSpec(200, 1.0, 16, 3)


def _tighter(*limits: int | None) -> int | None:
    given = [limit for limit in limits if limit]
    return min(given) if given else None


# --- stale scan (bench/stale.py) ------------------------------------------------------------------


def stale_scan(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    from stale import measure_stale  # bench/stale.py

    return list(measure_stale(sizes, runs))


def reference_checks(smoke: bool) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from verify import measure_verify  # bench/verify.py (issue 11)

    return measure_verify(smoke)


def drifting_replies(smoke: bool) -> list[dict[str, Any]]:
    sys.path.insert(0, str(HERE))
    from drift import measure_drift  # bench/drift.py (issue 8)

    return measure_drift(smoke)


def section_savings() -> list[dict[str, Any]] | None:
    sys.path.insert(0, str(HERE))
    try:
        from sections import measure_section_savings  # bench/sections.py (issue 5)
    except ImportError:
        return None
    return list(measure_section_savings())


# --- report ---------------------------------------------------------------------------------------


def print_report(results: dict[str, Any]) -> None:
    meta = results["meta"]
    print(f"topicgen benchmarks ({'smoke' if meta['smoke'] else 'full'}) — {meta['machine']}")
    print()
    start = results["startup"]
    print(f"start-up (fresh process, {start.get('runs', '?')} runs; bench/startup.py)")
    print(f"  {'command':<28} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    rows = (
        ("help", "topicgen --help"),
        ("new_offline", "topicgen new (replay)"),
        ("first_request", "new: time to first request"),
        ("after_reply", "new: reply to exit"),
    )
    for key, label in rows:
        if f"{key}_median_ms" in start:
            print(
                f"  {label:<28} {start[f'{key}_median_ms']:>10.1f} {start[f'{key}_min_ms']:>8.1f} "
                f"{start[f'{key}_max_ms']:>8.1f}"
            )
    local = results["local_work"]
    print()
    print(f"local work per page (reference page, {local['page_bytes']:,} bytes; {local['iterations']} pages)")
    print(f"  {'step':<28} {'median ms':>10} {'p95 ms':>10}")
    for step in ("validate", "render", "write", "total", "drafter_pipeline"):
        print(f"  {step:<28} {local[step]['median_ms']:>10.2f} {local[step]['p95_ms']:>10.2f}")
    print(f"  {'python heap peak (MiB)':<28} {local['heap_peak_mib']:>10.1f}")
    print()
    print("throughput: topicgen new --from FILE against the fake provider")
    header = (
        f"  {'scenario':<27} {'N':>4} {'lat s':>5} {'conc':>4} {'rate/s':>6} {'bound s':>7} {'wall s':>7} "
        f"{'ratio':>5} {'window':>6} {'429s':>4} {'lost':>4} {'RSS MiB':>7}"
    )
    print(header)
    for row in results["throughput"]:
        rate = "-" if row["rate_per_s"] is None else f"{row['rate_per_s']:.1f}"
        print(
            f"  {row['name']:<27} {row['topics']:>4} {row['latency']:>5.2f} {row['concurrency']:>4} "
            f"{rate:>6} {row['bound_s']:>7.2f} {row['wall_s']:>7.2f} "
            f"{row['ratio_wall']:>5.2f} {row['ratio_window']:>6.2f} {row['rate_limited_429']:>4} "
            f"{row['lost']:>4} {row['peak_rss_mib'] or 0:>7.1f}"
        )
        if row["exit_code"]:
            print(f"    exit {row['exit_code']}: {row['summary']}")
            for failure in row["failures"]:
                print(f"      {failure[:150]}")
    print("  ratio = wall / bound (start-up included); window = first request to last response / bound")
    if results.get("sections"):
        print()
        print("section-level regeneration vs the whole page (bench/sections.py; tokens at 4 chars each)")
        print(f"  {'regenerate':<28} {'in':>7} {'out':>7} {'out saved':>10} {'cost saved':>11}")
        for row in results["sections"]:
            print(
                f"  {row['sections']:<28} {row['input_tokens']:>7,} {row['output_tokens']:>7,} "
                f"{row['output_saved_pct']:>9.1f}% {row['cost_saved_pct']:>10.1f}%"
            )
    if results.get("drift"):
        from drift import print_drift

        print()
        print_drift(results["drift"])
    if results.get("verify"):
        from verify import print_verify

        print()
        print_verify(results["verify"])
    if results.get("floor"):
        print()
        print_floor(results["floor"])
    if results.get("stale"):
        from stale import print_stale

        print()
        print_stale(results["stale"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a fast version (seconds), for CI")
    parser.add_argument("--output", type=Path, help="where to write the JSON results")
    parser.add_argument("--no-stale", action="store_true", help="skip the stale-scan benchmark")
    parser.add_argument("--huge", action="store_true", help="also scan 100,000 pages (minutes more)")
    args = parser.parse_args(argv)
    output = args.output or HERE / ("results-smoke.json" if args.smoke else "results.json")
    results: dict[str, Any] = {
        "meta": {
            "smoke": args.smoke,
            "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        }
    }
    results["startup"] = startup(2 if args.smoke else 10)
    results["local_work"] = local_work(20 if args.smoke else 200)
    results["throughput"] = [throughput(s) for s in (smoke_scenarios() if args.smoke else full_scenarios())]
    results["floor"] = near_the_floor(floor_spec(args.smoke))
    results["sections"] = section_savings()
    results["drift"] = drifting_replies(smoke=args.smoke)
    if not args.smoke:  # the suite runs bench/verify.py --smoke on its own
        results["verify"] = reference_checks(smoke=False)
    if not args.no_stale:
        sizes = [200] if args.smoke else [1_000, 10_000, *([100_000] if args.huge else [])]
        results["stale"] = stale_scan(sizes, 1 if args.smoke else 3)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_report(results)
    print(f"\nresults written to {output}")
    from drift import acceptable

    floor_failed = any(
        r[run]["exit_code"] for r in results["floor"]["rounds_run"] for run in ("new", "regen")
    )
    lost = any(row["lost"] or row["exit_code"] for row in results["throughput"])
    lost = lost or floor_failed or results["floor"]["lost"]
    return 1 if lost or not acceptable(results["drift"]) else 0


if __name__ == "__main__":
    sys.exit(main())
