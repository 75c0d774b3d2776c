"""Start-up benchmark: ``topicgen --help``, an offline ``topicgen new``, and its time to first request.

    python bench/startup.py            # 10 runs of each
    python bench/startup.py --runs 30

**Time to first request**: ``topicgen new`` against the fake provider on
loopback (``topicgen.testing.FakeProvider``, answering at once), from spawning
the process to the moment the server sees the request: everything a run does
before it can wait on a model (Python, the CLI, settings, the vault, the
provider SDK, the prompt). The rest of the process after the reply (validate,
render, write, links, index, exit) is reported as **after the reply**.

Each run is a fresh process of the installed ``topicgen`` console script (the
one next to this Python), timed from spawn to exit. ``new`` drafts "Large
Language Models" from the recorded fixture (``--model replay:fixtures/exchanges``)
into a fresh copy of ``fixtures/vaults/reference`` for every run, so it pays
for everything a real run does except waiting for a model: importing the SDK,
validating, rendering, linking books and writing the page atomically.

The target on the development machine: ``--help`` under 0.3 s (the medians are
reported; bench/run.py imports ``measure_startup`` for its report).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from measure import clean_environment  # noqa: E402  (bench/measure.py: how every benchmark measures)

EXCHANGES = REPO / "fixtures" / "exchanges"
REFERENCE_VAULT = REPO / "fixtures" / "vaults" / "reference"
TOPIC = "Large Language Models"
HELP_TARGET_MS = 300.0
FIRST_REQUEST_TARGET_MS = 400.0


def topicgen_command() -> list[str]:
    """The console script installed beside this interpreter, else ``python -m topicgen``."""
    script = Path(sys.executable).with_name("topicgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "topicgen"]


def _timed(command: list[str], cwd: Path) -> float:
    """Milliseconds from spawn to exit; a failing command stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=clean_environment(), capture_output=True, text=True)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return elapsed


def _summary(name: str, samples: list[float]) -> dict[str, float]:
    return {
        f"{name}_median_ms": statistics.median(samples),
        f"{name}_min_ms": min(samples),
        f"{name}_max_ms": max(samples),
    }


def _first_request(command: list[str], vault: Path, work: Path) -> tuple[float, float]:
    """(ms from spawn to the first request the fake provider sees, ms from its reply to exit)."""
    from topicgen.testing import FakeProvider

    with FakeProvider(record_requests=False) as server:
        env = {
            **clean_environment(),
            "OPENAI_API_KEY": "bench-not-a-real-key",
            "OPENAI_BASE_URL": server.openai_base_url,
            "TOPICGEN_MODEL": "openai:fake-model",
            "TOPICGEN_VERIFY_ENABLED": "false",  # reference checks would ask the real catalog and YouTube
        }
        started = time.perf_counter()
        done = subprocess.run(
            [*command, "new", TOPIC, "--vault", str(vault)], cwd=work, env=env, capture_output=True
        )
        ended = time.perf_counter()
        stats = server.stats()
    if done.returncode != 0 or stats.first_request is None or stats.last_response is None:
        raise RuntimeError(f"topicgen new against the fake provider failed: {done.stderr.decode()[-500:]}")
    return (stats.first_request - started) * 1000, (ended - stats.last_response) * 1000


def measure_startup(runs: int = 10) -> dict[str, Any]:
    """Median, min and max wall time (ms) of ``topicgen --help`` and of an offline ``topicgen new``."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    command = topicgen_command()
    help_times: list[float] = []
    new_times: list[float] = []
    first_times: list[float] = []
    after_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="topicgen-startup-") as scratch:
        work = Path(scratch)
        _timed([*command, "--help"], work)  # warm the file cache once; not counted
        for _ in range(runs):
            help_times.append(_timed([*command, "--help"], work))
        for run in range(runs):
            vault = work / f"vault-{run}"
            shutil.copytree(REFERENCE_VAULT, vault)
            new_times.append(
                _timed(
                    [*command, "new", TOPIC, "--model", f"replay:{EXCHANGES}", "--vault", str(vault)], work
                )
            )
            if not (vault / "topics" / "large-language-models.md").is_file():
                raise RuntimeError("topicgen new did not write the page")
        for run in range(runs):
            vault = work / f"live-{run}"
            shutil.copytree(REFERENCE_VAULT, vault)
            first, after = _first_request(command, vault, work)
            first_times.append(first)
            after_times.append(after)
    results: dict[str, Any] = {"runs": runs, "command": " ".join(command)}
    results |= _summary("help", help_times)
    results |= _summary("new_offline", new_times)
    results |= _summary("first_request", first_times)
    results |= _summary("after_reply", after_times)
    results["first_request_target_ms"] = FIRST_REQUEST_TARGET_MS
    results["load_average"] = os.getloadavg()[0]
    results["help_target_ms"] = HELP_TARGET_MS
    results["help_under_target"] = results["help_median_ms"] < HELP_TARGET_MS
    return results


def print_table(results: dict[str, Any]) -> None:
    print(f"topicgen start-up, {results['runs']} runs each ({results['command']})")
    print(f"  {'command':<48} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    rows = (
        ("help", "topicgen --help"),
        ("new_offline", f'topicgen new "{TOPIC}" (replay)'),
        ("first_request", "topicgen new: time to first request"),
        ("after_reply", "topicgen new: reply to exit"),
    )
    for key, label in rows:
        print(
            f"  {label:<48} {results[f'{key}_median_ms']:>10.1f} "
            f"{results[f'{key}_min_ms']:>8.1f} {results[f'{key}_max_ms']:>8.1f}"
        )
    verdict = "under" if results["help_under_target"] else "OVER"
    print(f"  --help median is {verdict} the {results['help_target_ms']:.0f} ms target")
    first = "under" if results["first_request_median_ms"] < FIRST_REQUEST_TARGET_MS else "OVER"
    print(f"  time to first request is {first} the {FIRST_REQUEST_TARGET_MS:.0f} ms target")
    print(f"  (load average {results['load_average']:.1f} on {os.cpu_count()} CPUs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (default 10)")
    args = parser.parse_args(argv)
    results = measure_startup(args.runs)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
