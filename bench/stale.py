"""How long `topicgen stale` takes, and how much memory it needs, as a vault grows.

Builds vaults of generated pages (rendered from the reference page data with
real generation metadata; a tenth made stale by an old fingerprint, a tenth
hand-edited, a few missing a section) and times `topicgen stale --json` in a
fresh process over each, reporting the median wall time, the CPU time and
peak memory. Each size is timed right after the vault is written, with the
pages in the page cache, as a person running it after a run would meet it.

    python bench/stale.py                 # 1,000 / 10,000 / 100,000 pages
    python bench/stale.py --sizes 200     # quick
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PAGE_DATA = REPO / "fixtures" / "pages" / "large-language-models.json"


def build_vault(root: Path, pages: int) -> Path:
    """A vault with ``pages`` generated topic pages (written directly, no model involved).

    Fifty pages are rendered; the rest are copies of them under their own
    topic names, their body hashes recomputed, so a 100,000-page vault takes
    seconds to write rather than minutes to render.
    """
    import re

    from topicgen.config import load_settings
    from topicgen.model.prompt import Prompts, fingerprint
    from topicgen.page.hashing import body_hash
    from topicgen.page.render import Provenance, render_page
    from topicgen.page.schema import TopicSummary, schema_text
    from topicgen.upkeep.view import VaultView
    from topicgen.vault import Vault

    shutil.copytree(REPO / "fixtures" / "vaults" / "reference", root)
    vault = Vault.open(root)
    view = VaultView.scan(vault, load_settings(root))
    page = TopicSummary.model_validate(json.loads(PAGE_DATA.read_text(encoding="utf-8")))
    current = fingerprint(Prompts(root), schema_text())
    topics = vault.topics_dir
    topics.mkdir()
    templates = []
    for n in range(min(pages, 50)):
        topic = f"Benchmark Topic {n:05d}"
        stamp = "sha256:0000000000000000" if n % 10 == 0 else current
        text = render_page(
            page, view.context(topic), Provenance("openai:gpt-5-mini", "2026-11-01T09:00:00Z", stamp)
        )
        if n % 10 == 1:
            text = text.replace("It just sucked.", "It just sucked, said my friend.")
        if n % 50 == 2:
            start, end = text.index("### 😂 A Joke"), text.index("### 📖 Book Recommendations")
            text = text[:start] + text[end:]
        templates.append(text)
    hash_line = re.compile(r"^topicgen_body_hash: .*$", re.MULTILINE)
    for n in range(pages):
        template = templates[n % len(templates)]
        same = f"{n % len(templates):05d}"
        text = template.replace(f"Topic {same}", f"Topic {n:05d}").replace(f"topic-{same}", f"topic-{n:05d}")
        head, sep, body = text.partition("\n---\n")
        if n % 10 != 1 and n % 50 != 2:  # edited pages keep the hash of the text topicgen wrote
            head = hash_line.sub(f"topicgen_body_hash: {body_hash(body)}", head)
        (topics / f"benchmark-topic-{n:05d}.md").write_text(head + sep + body, encoding="utf-8")
    return root


def time_stale(vault: Path, runs: int) -> dict[str, float]:
    """Median wall and CPU seconds and peak RSS (MiB, main process) of `topicgen stale --json`."""
    from run import PEAK_KIB  # the process's own peak, not the one Linux carries over exec

    probe = PEAK_KIB + (
        "import runpy, sys; sys.argv = ['topicgen', 'stale', '--json', '--vault', sys.argv[1]];"
        "\ntry:\n    runpy.run_module('topicgen', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print(peak_kib(), file=sys.stderr)"
    )
    times, cpus, peaks = [], [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", probe, str(vault)], capture_output=True, text=True, check=True
        )
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        peaks.append(int(done.stderr.strip().splitlines()[-1]) / 1024)
        lines = done.stdout.count("\n")
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "cpu_s": statistics.median(cpus),
        "peak_mib": max(peaks),
        "pages_reported": lines,
    }


def scan_heap_peak(vault: Path) -> float:
    """Peak Python heap (MiB) while scanning in-process: what grows with the vault, if anything."""
    import tracemalloc

    from topicgen.config import load_settings
    from topicgen.model.fingerprint import vault_fingerprint
    from topicgen.upkeep.staleness import scan

    settings, current = load_settings(vault), vault_fingerprint(vault)
    tracemalloc.start()
    for _ in scan(vault / "topics", settings, current):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def measure_stale(sizes: list[int], runs: int = 3) -> list[dict[str, float]]:
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            vault = build_vault(Path(scratch) / f"vault-{size}", size)
            results.append({"pages": size, **time_stale(vault, runs), "heap_peak_mib": scan_heap_peak(vault)})
            shutil.rmtree(vault)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'pages':>7}  {'median s':>9}  {'CPU s':>6}  {'RSS MiB':>8}  {'heap MiB':>8}  reported")
    for row in measure_stale(args.sizes, args.runs):
        print(
            f"{row['pages']:>7,}  {row['median_s']:>9.3f}  {row['cpu_s']:>6.3f}  {row['peak_mib']:>8.1f}  "
            f"{row['heap_peak_mib']:>8.1f}  {row['pages_reported']:,}"
        )
    load = os.getloadavg()[0]
    print(f"(cpu count {os.cpu_count()}, load {load:.1f}; target: under 1 s at 10,000 pages, linear beyond)")


if __name__ == "__main__":
    main()
