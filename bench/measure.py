"""How every benchmark measures: topicgen in a fresh process, and the floor it is compared with.

bench/run.py, bench/stale.py and bench/batch.py import this module (and none
imports another's measuring code):

- ``run_topicgen``: ``topicgen ARGS...`` in a fresh process: wall time, CPU
  time and the process's own peak RSS (``VmHWM``: Linux carries ``ru_maxrss``
  over ``exec`` from the forking parent, so that figure would be the
  benchmark's size, not topicgen's).
- ``sdk_floor``: the provider SDK alone (``openai.AsyncOpenAI``) sending the
  requests topicgen sends, at the same concurrency, to the same server, timed
  two ways: from the first request to the last reply parsed, with the SDK
  imported and the client built before the clock starts (as in a process
  already running: what no tool built on the SDK can beat), and as a program,
  from spawning its process to its exit (the SDK's import and client
  included, as a command-line tool pays them). Live runs are reported as a
  ratio to both, measured in the same run.
- ``fake_provider_env``: the environment that points topicgen at a
  ``topicgen.testing.FakeProvider`` and nowhere else.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
API_KEY = "bench-not-a-real-key"
FAKE_MODEL = "fake-model"

PEAK_KIB = """
def peak_kib():
    import resource
    try:
        with open("/proc/self/status") as status:
            return int(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
# Runs `topicgen ARGS...` in this fresh process; reports its peak RSS and CPU time on the last stderr line.
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

# The SDK alone: argv = bodies.json concurrency api_key base_url; prints the seconds from the first
# request sent to the last reply parsed. Import and client are ready before the clock starts.
FLOOR = """
import asyncio, json, sys, time
import openai

bodies = json.load(open(sys.argv[1], encoding="utf-8"))
concurrency = int(sys.argv[2])
client = openai.AsyncOpenAI(api_key=sys.argv[3], base_url=sys.argv[4], max_retries=0, timeout=600.0)


async def main():
    gate = asyncio.Semaphore(concurrency)

    async def one(body):
        async with gate:
            raw = await client.chat.completions.with_raw_response.create(**body)
            raw.parse()

    start = time.perf_counter()
    await asyncio.gather(*(one(body) for body in bodies))
    print(time.perf_counter() - start)
    await client.close()


asyncio.run(main())
"""


@dataclass(frozen=True)
class ProbeRun:
    """One ``topicgen`` process: how it ended and what it cost."""

    exit_code: int
    wall_s: float
    cpu_s: float | None
    peak_rss_mib: float | None
    stdout: str
    stderr: str


def clean_environment() -> dict[str, str]:
    """The caller's environment minus anything that would change what topicgen does or where it calls;
    topicgen's bytecode compiled first (``compile_topicgen``), so every process measured starts as an
    installed topicgen does."""
    compile_topicgen()
    dropped = ("TOPICGEN_", "OPENAI_", "ANTHROPIC_", "OLLAMA_")
    return {key: value for key, value in os.environ.items() if not key.startswith(dropped)}


@functools.cache
def compile_topicgen() -> None:
    """Write topicgen's bytecode (``__pycache__``), as ``pip install`` does for an installed package and
    for the SDKs: with ``PYTHONDONTWRITEBYTECODE`` set (as on some machines and CI images) an editable
    checkout is compiled from source on every start, 30-80 modules, 40-80 ms that no user pays."""
    import compileall

    compileall.compile_dir(REPO / "topicgen", quiet=1)


def fake_provider_env(base_url: str, **settings: str) -> dict[str, str]:
    """topicgen pointed at the fake provider on loopback (OpenAI wire), reference checks off."""
    return {
        **clean_environment(),
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": base_url,
        "TOPICGEN_MODEL": f"openai:{FAKE_MODEL}",
        "TOPICGEN_TIMEOUT": "600",
        "TOPICGEN_VERIFY_ENABLED": "false",  # model throughput only; bench/verify.py measures lookups
        "COLUMNS": "400",  # summary rows on one line each, so failures can be read back
        **settings,
    }


def run_topicgen(args: list[str], env: dict[str, str] | None = None) -> ProbeRun:
    """``topicgen ARGS...`` in a fresh process, timed from spawn to exit."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env if env is not None else clean_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    probe = re.findall(r"peak_rss_kib=(\d+) cpu_s=([\d.]+)", done.stderr)
    rss, cpu = (int(probe[-1][0]) / 1024, float(probe[-1][1])) if probe else (None, None)
    return ProbeRun(done.returncode, wall, cpu, rss, done.stdout, done.stderr)


def request_bodies(vault: Path, topics: list[str], max_output_tokens: int = 16_000) -> list[dict[str, Any]]:
    """The chat completions bodies ``topicgen new`` sends for ``topics`` (the OpenAI adapter's own
    ``chat_body`` over the vault's prompts and the shipped schema)."""
    from topicgen.model.clients.base import ModelRequest
    from topicgen.model.clients.effort import openai_effort
    from topicgen.model.clients.openai import chat_body
    from topicgen.model.fingerprint import shipped_schema
    from topicgen.model.prompt import Prompts

    prompts = Prompts(vault)
    effort = openai_effort(FAKE_MODEL, "low")
    bodies = []
    for topic in topics:
        request = ModelRequest(
            tuple(prompts.messages(topic)), shipped_schema(), max_output_tokens=max_output_tokens
        )
        bodies.append(chat_body(FAKE_MODEL, request, reasoning_effort=effort))
    return bodies


@dataclass(frozen=True)
class Floor:
    """The SDK alone sending a run's requests: ``warm_s`` from the first request to the last reply
    parsed (SDK imported, client built: a process already running); ``program_s`` from spawning
    its process to its exit (the SDK's import, the client and reading the requests included)."""

    warm_s: float
    program_s: float


def sdk_floor(base_url: str, bodies: list[dict[str, Any]], concurrency: int) -> Floor:
    """The OpenAI SDK alone sending ``bodies`` to ``base_url`` and parsing the replies, ``concurrency``
    at a time, in a fresh process: timed inside it (import and client ready before the clock) and
    from its spawn to its exit."""
    with tempfile.TemporaryDirectory() as scratch:
        file = Path(scratch) / "bodies.json"
        file.write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", FLOOR, str(file), str(concurrency), API_KEY, base_url],
            env=clean_environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        program = time.perf_counter() - start
    return Floor(float(done.stdout.strip().splitlines()[-1]), program)


def load_average() -> float:
    return os.getloadavg()[0]


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
