"""Start-up benchmark: how long ``topicgen --help`` and an offline ``topicgen new`` take.

    python bench/startup.py            # 10 runs of each
    python bench/startup.py --runs 30

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
EXCHANGES = REPO / "fixtures" / "exchanges"
REFERENCE_VAULT = REPO / "fixtures" / "vaults" / "reference"
TOPIC = "Large Language Models"
HELP_TARGET_MS = 300.0


def topicgen_command() -> list[str]:
    """The console script installed beside this interpreter, else ``python -m topicgen``."""
    script = Path(sys.executable).with_name("topicgen")
    return [str(script)] if script.exists() else [sys.executable, "-m", "topicgen"]


def _environment() -> dict[str, str]:
    """The caller's environment minus anything that would change what topicgen does."""
    dropped = ("TOPICGEN_", "OPENAI_", "ANTHROPIC_", "OLLAMA_")
    return {key: value for key, value in os.environ.items() if not key.startswith(dropped)}


def _timed(command: list[str], cwd: Path) -> float:
    """Milliseconds from spawn to exit; a failing command stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=_environment(), capture_output=True, text=True)
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


def measure_startup(runs: int = 10) -> dict[str, Any]:
    """Median, min and max wall time (ms) of ``topicgen --help`` and of an offline ``topicgen new``."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    command = topicgen_command()
    help_times: list[float] = []
    new_times: list[float] = []
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
    results: dict[str, Any] = {"runs": runs, "command": " ".join(command)}
    results |= _summary("help", help_times)
    results |= _summary("new_offline", new_times)
    results["help_target_ms"] = HELP_TARGET_MS
    results["help_under_target"] = results["help_median_ms"] < HELP_TARGET_MS
    return results


def print_table(results: dict[str, Any]) -> None:
    print(f"topicgen start-up, {results['runs']} runs each ({results['command']})")
    print(f"  {'command':<48} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    rows = (("help", "topicgen --help"), ("new_offline", f'topicgen new "{TOPIC}" (replay)'))
    for key, label in rows:
        print(
            f"  {label:<48} {results[f'{key}_median_ms']:>10.1f} "
            f"{results[f'{key}_min_ms']:>8.1f} {results[f'{key}_max_ms']:>8.1f}"
        )
    verdict = "under" if results["help_under_target"] else "OVER"
    print(f"  --help median is {verdict} the {results['help_target_ms']:.0f} ms target")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (default 10)")
    args = parser.parse_args(argv)
    results = measure_startup(args.runs)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
