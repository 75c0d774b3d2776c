"""Batch mode at scale: N topics planned, submitted and collected through the fake provider's batch API.

    python bench/batch.py            # 10,000 topics, minutes; writes "batch" in bench/results.json
    python bench/batch.py --smoke    # 100 topics, seconds (tests/test_bench_batch.py runs it)

``topicgen new --from FILE --batch`` runs as a fresh process against
``topicgen.testing.FakeProvider`` (OpenAI Files + Batches) with a short batch
delay. Reported:

- **wall**: the whole command; **own wall**: wall minus the time the batch
  was in the provider's hands (created to ended, as the fake saw it), i.e.
  what topicgen itself took to plan, write, upload, poll, download and write
  the pages (start-up included);
- **CPU per page**: the topicgen process's user + system CPU time over the
  pages written, beside the same figure for a live run
  (``topicgen new --from FILE`` against the same fake, no latency), so
  local work per page can be compared;
- **peak RSS** of the topicgen process; pages lost (asked for, not written
  as a valid page); batches created.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API_KEY = "bench-not-a-real-key"
sys.path.insert(0, str(HERE))
from run import PROBE  # noqa: E402  (bench/run.py: topicgen in a fresh process, with its RSS and CPU)


def _run(server: Any, root: Path, listing: Path, batch: bool) -> dict[str, Any]:
    command = ["new", "--from", str(listing), "--vault", str(root), "--plain"]
    if batch:
        command.append("--batch")
    else:
        command += ["--concurrency", "16"]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TOPICGEN_", "OPENAI_", "ANTHROPIC_"))},
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": server.openai_base_url,
        "TOPICGEN_MODEL": "openai:fake-model",
        "TOPICGEN_TIMEOUT": "600",
        "TOPICGEN_BATCH_POLL": "0.5",
        "TOPICGEN_VERIFY_ENABLED": "false",
    }
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *command], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    probe = re.findall(r"peak_rss_kib=(\d+) cpu_s=([\d.]+)", done.stderr)
    rss, cpu = (int(probe[-1][0]) / 1024, float(probe[-1][1])) if probe else (None, None)
    return {
        "exit_code": done.returncode,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": rss,
        "stderr": done.stderr,
    }


def _valid_pages(root: Path, topics: list[str]) -> int:
    from topicgen.vault.slugs import slug_for

    heading = "### 📺 Links To Relevant YouTube Channels Or Videos"
    written = 0
    for topic in topics:
        path = root / "topics" / f"{slug_for(topic)}.md"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            written += text.startswith("---\n") and f" {topic}\n" in text and heading in text
    return written


def measure_batch(topics: int, live_topics: int, delay: float) -> dict[str, Any]:
    """The batch run of ``topics`` topics, and a live run of ``live_topics`` for the per-page comparison."""
    from topicgen.testing import FakeProvider

    names = [f"Batch Bench Topic {n:05d}" for n in range(topics)]
    live_names = [f"Live Bench Topic {n:05d}" for n in range(live_topics)]
    with (
        FakeProvider(batch_delay=delay, record_requests=False) as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        folder = Path(scratch)
        for name, listed in (("batch", names), ("live", live_names)):
            (folder / name).mkdir()
            (folder / f"{name}.txt").write_text("\n".join(listed) + "\n", encoding="utf-8")
        batch = _run(server, folder / "batch", folder / "batch.txt", batch=True)
        summary = server.batch_desk.summary()
        in_provider = sum((b.ended_at or b.created) - b.created for b in server.batch_desk._batches.values())
        batch_written = _valid_pages(folder / "batch", names)
        stored = sum(
            p.stat().st_size for p in (folder / "batch" / ".topicgen" / "batches").rglob("*") if p.is_file()
        )
        live = _run(server, folder / "live", folder / "live.txt", batch=False)
        live_written = _valid_pages(folder / "live", live_names)
    batch_cpu = batch["cpu_s"] / max(1, batch_written) * 1000 if batch["cpu_s"] is not None else None
    live_cpu = live["cpu_s"] / max(1, live_written) * 1000 if live["cpu_s"] is not None else None
    return {
        "topics": topics,
        "batch_delay_s": delay,
        "exit_code": batch["exit_code"],
        "written": batch_written,
        "lost": topics - batch_written,
        "batches": len(summary),
        "wall_s": batch["wall_s"],
        "in_provider_s": in_provider,
        "own_wall_s": batch["wall_s"] - in_provider,
        "own_ms_per_page": (batch["wall_s"] - in_provider) / max(1, batch_written) * 1000,
        "cpu_ms_per_page": batch_cpu,
        "peak_rss_mib": batch["peak_rss_mib"],
        "state_mib": stored / 2**20,
        "live": {
            "topics": live_topics,
            "exit_code": live["exit_code"],
            "written": live_written,
            "wall_s": live["wall_s"],
            "cpu_ms_per_page": live_cpu,
            "peak_rss_mib": live["peak_rss_mib"],
        },
        "summary": next((line for line in reversed(batch["stderr"].splitlines()) if " in " in line), ""),
    }


def print_batch(row: dict[str, Any]) -> None:
    live = row["live"]
    print(f"batch mode: {row['topics']:,} topics through the fake provider's batch API")
    print(f"  batches created        {row['batches']}")
    print(f"  pages written / lost   {row['written']:,} / {row['lost']}")
    print(f"  wall                   {row['wall_s']:.1f} s (provider: {row['in_provider_s']:.1f} s)")
    print(f"  topicgen's own wall    {row['own_wall_s']:.1f} s ({row['own_ms_per_page']:.2f} ms a page)")
    print(
        f"  CPU a page             {row['cpu_ms_per_page']:.2f} ms (live run of {live['topics']}: "
        f"{live['cpu_ms_per_page']:.2f} ms)"
    )
    print(
        f"  peak RSS               {row['peak_rss_mib']:.0f} MiB (live run: {live['peak_rss_mib']:.0f} MiB)"
    )
    print(f"  batch state on disk    {row['state_mib']:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="100 topics, seconds (for CI)")
    parser.add_argument(
        "--output", type=Path, help="write the figures here (default: into bench/results.json)"
    )
    args = parser.parse_args(argv)
    row = measure_batch(100, 50, 0.2) if args.smoke else measure_batch(10_000, 500, 2.0)
    row["smoke"] = args.smoke
    print_batch(row)
    if args.output is not None:
        args.output.write_text(json.dumps(row, indent=2) + "\n", encoding="utf-8")
    elif not args.smoke:
        results_path = HERE / "results.json"
        results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.exists() else {}
        results["batch"] = row
        results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if row["lost"] or row["exit_code"] or row["live"]["exit_code"] else 0


if __name__ == "__main__":
    sys.exit(main())
