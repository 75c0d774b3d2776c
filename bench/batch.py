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
from measure import PROBE, save_figures  # noqa: E402  (bench/measure.py: topicgen in a fresh process, with its RSS and CPU)


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


def _pages(root: Path, topics: list[str]) -> tuple[int, float]:
    """(valid pages written, the newest one's modification time)."""
    from topicgen.vault.slugs import slug_for

    heading = "### 📺 Links To Relevant YouTube Channels Or Videos"
    written, newest = 0, 0.0
    for topic in topics:
        path = root / "topics" / f"{slug_for(topic)}.md"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            written += text.startswith("---\n") and f" {topic}\n" in text and heading in text
            newest = max(newest, path.stat().st_mtime)
    return written, newest


def _one_run(server: Any, folder: Path, names: list[str], batch: bool) -> dict[str, Any]:
    """One ``topicgen new --from`` run (batch or live) in a fresh vault, timed by phase for a batch."""
    kind = "batch" if batch else "live"
    (folder / kind).mkdir()
    (folder / f"{kind}.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    known = set(server.batch_desk._batches)
    began = time.time()
    run = _run(server, folder / kind, folder / f"{kind}.txt", batch=batch)
    ended = time.time()
    written, newest = _pages(folder / kind, names)
    row = {
        "topics": len(names),
        "exit_code": run["exit_code"],
        "written": written,
        "lost": len(names) - written,
        "wall_s": run["wall_s"],
        "cpu_s": run["cpu_s"],
        "cpu_ms_per_page": (run["cpu_s"] or 0) / max(1, written) * 1000,
        "peak_rss_mib": run["peak_rss_mib"],
    }
    if batch:
        batches = [b for bid, b in server.batch_desk._batches.items() if bid not in known]
        created = min(b.created for b in batches)
        finished = max(b.ended_at or b.created for b in batches)
        row.update(
            batches=len(batches),
            plan_and_submit_s=created - began,  # start-up, planning, writing the lines, upload, create
            in_provider_s=finished - created,  # created to ended, as the fake saw it (polled every 0.5 s)
            collect_and_write_s=newest - finished,  # download, store, validate, render, write
            tail_s=ended - newest,  # relinking, index, summary, exit
            state_mib=sum(
                p.stat().st_size for p in (folder / kind / ".topicgen" / "batches").rglob("*") if p.is_file()
            )
            / 2**20,
        )
        row["own_wall_s"] = row["wall_s"] - row["in_provider_s"]
    return row


def measure_batch(topics: int, compared: int, delay: float) -> dict[str, Any]:
    """``topics`` topics in batches (by phase), and ``compared`` topics both ways for the per-page figures."""
    from topicgen.testing import FakeProvider

    with (
        FakeProvider(batch_delay=delay, record_requests=False) as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        folder = Path(scratch)
        (folder / "scale").mkdir()
        (folder / "same").mkdir()
        scale = _one_run(
            server, folder / "scale", [f"Batch Bench Topic {n:05d}" for n in range(topics)], True
        )
        same = [f"Compared Topic {n:05d}" for n in range(compared)]
        batch = _one_run(server, folder / "same", same, True)
        live = _one_run(server, folder / "same", same, False)
    return {"scale": scale, "compared": {"batch": batch, "live": live}, "batch_delay_s": delay}


def print_batch(results: dict[str, Any]) -> None:
    row, batch, live = results["scale"], results["compared"]["batch"], results["compared"]["live"]
    print(f"batch mode: {row['topics']:,} topics through the fake provider's batch API (bench/batch.py)")
    print(f"  batches {row['batches']}, pages written {row['written']:,}, lost {row['lost']}")
    print(
        f"  wall {row['wall_s']:.1f} s = plan and submit {row['plan_and_submit_s']:.1f} s + provider "
        f"{row['in_provider_s']:.1f} s + collect and write {row['collect_and_write_s']:.1f} s + "
        f"tail {row['tail_s']:.1f} s"
    )
    print(
        f"  topicgen's own wall {row['own_wall_s']:.1f} s; CPU {row['cpu_s']:.1f} s "
        f"({row['cpu_ms_per_page']:.1f} ms a page); peak RSS {row['peak_rss_mib']:.0f} MiB; "
        f"state on disk {row['state_mib']:.0f} MiB"
    )
    print(
        f"  same {batch['topics']:,} topics: CPU a page {batch['cpu_ms_per_page']:.1f} ms in a batch, "
        f"{live['cpu_ms_per_page']:.1f} ms live; peak RSS {batch['peak_rss_mib']:.0f} / "
        f"{live['peak_rss_mib']:.0f} MiB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="100 topics, seconds (for CI)")
    parser.add_argument(
        "--output", type=Path, help="write the figures here (default: into bench/results.json)"
    )
    args = parser.parse_args(argv)
    row = measure_batch(100, 50, 0.2) if args.smoke else measure_batch(10_000, 1_000, 2.0)
    row["smoke"] = args.smoke
    print_batch(row)
    save_figures("batch", row, args.output, args.smoke)
    runs = [row["scale"], *row["compared"].values()]
    return 1 if any(run["lost"] or run["exit_code"] for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
