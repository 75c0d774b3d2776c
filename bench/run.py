"""topicgen's benchmarks in one command: start-up, local work per page, throughput, memory.

    python bench/run.py            # the full run (a few minutes); writes bench/results.json
    python bench/run.py --smoke    # seconds; writes bench/results-smoke.json (CI runs this)

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
- **section savings** (bench/sections.py, when present): tokens saved by
  regenerating sections instead of the whole page.
- **replies that drift** (bench/drift.py): ``topicgen new`` through the OpenAI
  and Anthropic wire formats without drift, with drift on half of the replies,
  and with a wrong section in a fifth: pages written, sections re-asked,
  output tokens against the run without drift.
- **reference checks** (bench/verify.py): the lookups' share of a page's wall
  time, uncached and cached, and the tokens of the books re-ask.
- **stale scan** (bench/stale.py, when present): ``topicgen stale`` over
  generated vaults of growing size.
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
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGE_JSON = REPO / "fixtures" / "pages" / "large-language-models.json"
REFERENCE_VAULT = REPO / "fixtures" / "vaults" / "reference"
API_KEY = "bench-not-a-real-key"

# Runs `topicgen ARGS...` in this fresh process; reports its peak RSS and CPU time on the last stderr line.
# The peak is the process's own (VmHWM): Linux carries ru_maxrss over exec from the forking parent,
# so that figure would be this benchmark's size, not topicgen's.
PEAK_KIB = """
def peak_kib():
    import resource
    try:
        with open("/proc/self/status") as status:
            return int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
PROBE = (
    PEAK_KIB
    + """
import resource, runpy, sys
sys.argv = ["topicgen", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("topicgen", run_name="__main__")
except SystemExit as stop:
    code = stop.code if isinstance(stop.code, int) else 1
usage = resource.getrusage(resource.RUSAGE_SELF)
print(f"peak_rss_kib={peak_kib()} cpu_s={usage.ru_utime + usage.ru_stime}", file=sys.stderr)
sys.exit(code)
"""
)


def save_figures(key: str, row: dict[str, Any], output: Path | None, smoke: bool) -> None:
    """A standalone benchmark's figures: into ``output`` when given, else (a full run) under ``key``
    in bench/results.json, beside the other benchmarks' figures."""
    if output is not None:
        output.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
    elif not smoke:
        results_path = HERE / "results.json"
        results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.exists() else {}
        results[key] = row
        results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


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
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TOPICGEN_", "OPENAI_", "ANTHROPIC_"))
            },
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": server.openai_base_url,
            "TOPICGEN_MODEL": "openai:fake-model",
            "TOPICGEN_TIMEOUT": "60",
            "TOPICGEN_VERIFY_ENABLED": "false",  # model throughput only; bench/verify.py measures lookups
            "COLUMNS": "400",  # summary rows on one line each, so failures can be read back
        }
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *command], env=env, capture_output=True, text=True, check=False
        )
        ended = time.perf_counter()
        wall = ended - start
        stats = server.stats()
        written = sum(
            1
            for topic in topics
            if (page := root / "topics" / f"{slug_for(topic)}.md").exists() and _page_is_valid(page, topic)
        )
    peak = re.findall(r"peak_rss_kib=(\d+)", done.stderr)
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
        "exit_code": done.returncode,
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
        "peak_rss_mib": int(peak[-1]) / 1024 if peak else None,
        "summary": next((line.strip() for line in reversed(done.stderr.splitlines()) if " in " in line), ""),
        "failures": [" ".join(line.split()) for line in done.stderr.splitlines() if "│ failed" in line][:3],
    }


def _tighter(*limits: int | None) -> int | None:
    given = [limit for limit in limits if limit]
    return min(given) if given else None


# --- stale scan (bench/stale.py) ------------------------------------------------------------------


def stale_scan(sizes: list[int], runs: int) -> list[dict[str, Any]] | None:
    sys.path.insert(0, str(HERE))
    try:
        from stale import measure_stale  # bench/stale.py (issue 5)
    except ImportError:
        return None
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
    if results.get("stale"):
        print()
        print("stale scan (topicgen stale --json, fresh process)")
        for row in results["stale"]:
            print(
                f"  {row['pages']:>7,} pages  {row['median_s']:>7.3f} s  (CPU {row['cpu_s']:.3f} s)  "
                f"{row['peak_mib']:>7.1f} MiB"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a fast version (seconds), for CI")
    parser.add_argument("--output", type=Path, help="where to write the JSON results")
    parser.add_argument("--no-stale", action="store_true", help="skip the stale-scan benchmark")
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
    results["sections"] = section_savings()
    results["drift"] = drifting_replies(smoke=args.smoke)
    if not args.smoke:  # the suite runs bench/verify.py --smoke on its own
        results["verify"] = reference_checks(smoke=False)
    if not args.no_stale:
        results["stale"] = stale_scan(
            [200] if args.smoke else [1_000, 10_000, 100_000], 1 if args.smoke else 3
        )
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_report(results)
    print(f"\nresults written to {output}")
    from drift import acceptable

    lost = any(row["lost"] or row["exit_code"] for row in results["throughput"])
    return 1 if lost or not acceptable(results["drift"]) else 0


if __name__ == "__main__":
    sys.exit(main())
