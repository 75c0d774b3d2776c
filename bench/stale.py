"""How long `topicgen stale --json` takes, and how much memory it needs, cold and warm, as a vault grows.

The pages are model-sized pages as ``topicgen new`` writes them: fifty are
drafted by ``topicgen new`` against the fake provider (about 13 KB each,
ending with a newline as new pages in an empty vault do), then copied under
their own topic names with their body hashes recomputed, so a 100,000-page
vault takes a minute to write rather than hours to draft. A tenth are stale
(an old fingerprint), a tenth hand-edited (a joke changed), a fiftieth miss
a section.

Each size is scanned in fresh processes, with the pages in the page cache
(as a person running it after a run meets them):

- **cold**: no scan cache (``.topicgen/cache/scan`` removed before each run):
  every page is read;
- **warm**: the cache a cold run left: no page changed, none is read.

Reported: median wall time of ``runs`` processes, their CPU time and peak RSS
(the process's own ``VmHWM``), the scan cache's size on disk and the Python
heap's peak while scanning in-process, cold and warm (warm holds the cache).

    python bench/stale.py                      # 1,000 and 10,000 pages
    python bench/stale.py --sizes 100000       # 100,000 pages (about 1.3 GB of pages; minutes)
    python bench/stale.py --smoke              # 200 pages, one run (tests/test_bench_stale.py)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import measure  # noqa: E402  (bench/measure.py: how every benchmark measures)

TEMPLATES = 50
WORDS = 13  # the fake provider's words per sentence: pages of about 13 KB, as models write them
TARGETS = {10_000: (1.5, 0.3), 100_000: (None, 2.0)}  # pages: (cold, warm) seconds, issue 23


def _draft_templates(root: Path, count: int) -> list[str]:
    """``count`` pages drafted by ``topicgen new`` against the fake provider, as text."""
    from topicgen.testing import FakeProvider

    root.mkdir(parents=True, exist_ok=True)
    listing = root / "topics.txt"
    listing.write_text("\n".join(f"Benchmark Topic {n:05d}" for n in range(count)) + "\n", encoding="utf-8")
    vault = root / "drafts"
    shutil.copytree(measure.REPO / "fixtures" / "vaults" / "reference", vault)
    with FakeProvider(record_requests=False, words=WORDS) as server:
        args = ["new", "--from", str(listing), "--vault", str(vault), "--concurrency", "16", "--plain"]
        done = measure.run_topicgen(args, measure.fake_provider_env(server.openai_base_url))
    if done.exit_code:
        raise SystemExit(f"drafting the template pages failed:\n{done.stderr}")
    return [
        (vault / "topics" / f"benchmark-topic-{n:05d}.md").read_text(encoding="utf-8") for n in range(count)
    ]


def _shaped(n: int, text: str) -> str:
    """Template ``n`` as the vault holds it: some stale, some edited, some missing a section."""
    if n % 10 == 0:
        old = "topicgen_fingerprint: sha256:0000000000000000"
        text = re.sub(r"^topicgen_fingerprint: .*$", old, text, count=1, flags=re.MULTILINE)
    if n % 10 == 1:
        joke = text.index("\n- 😂", text.index("### 😂 A Joke"))
        text = text[: joke + 1] + "- 😂 A joke a person rewrote. " + text[joke + 5 :]
    if n % 50 == 2:
        start, end = text.index("### 😂 A Joke"), text.index("### 📖 Book Recommendations")
        text = text[:start] + text[end:]
    return text


def build_vault(root: Path, pages: int, scratch: Path) -> Path:
    """A vault with ``pages`` model-written topic pages (see the module's docstring)."""
    from topicgen.page.hashing import body_hash

    shutil.copytree(measure.REPO / "fixtures" / "vaults" / "reference", root)
    topics = root / "topics"
    topics.mkdir()
    templates = [_shaped(n, text) for n, text in enumerate(_draft_templates(scratch, min(pages, TEMPLATES)))]
    hash_line = re.compile(r"^topicgen_body_hash: .*$", re.MULTILINE)
    for n in range(pages):
        k = n % len(templates)
        same, name = f"{k:05d}", f"{n:05d}"
        text = (
            templates[k].replace(f"Topic {same}", f"Topic {name}").replace(f"topic-{same}", f"topic-{name}")
        )
        head, sep, body = text.partition("\n---\n")
        if k % 10 != 1 and k % 50 != 2:  # an edited page keeps the hash of the text topicgen wrote
            written = (
                body[:-1] if body.endswith("\n") else body
            )  # new hashes the body before its final newline
            head = hash_line.sub(f"topicgen_body_hash: {body_hash(written)}", head)
        (topics / f"benchmark-topic-{name}.md").write_text(head + sep + body, encoding="utf-8")
    return root


def _scan_cache(vault: Path) -> Path:
    return vault / ".topicgen" / "cache" / "scan"


def time_stale(vault: Path, runs: int, *, warm: bool) -> dict[str, Any]:
    """Median wall and CPU seconds and peak RSS (MiB) of `topicgen stale --json`, cold or warm."""
    args = ["stale", "--json", "--vault", str(vault)]
    if warm:
        measure.run_topicgen(args)  # leaves the cache a warm run reads
    times, cpus, peaks, reported = [], [], [], 0
    for _ in range(runs):
        if not warm:
            shutil.rmtree(_scan_cache(vault), ignore_errors=True)
        done = measure.run_topicgen(args)
        if done.exit_code:
            raise SystemExit(f"topicgen stale failed:\n{done.stderr}")
        times.append(done.wall_s)
        cpus.append(done.cpu_s or 0.0)
        peaks.append(done.peak_rss_mib or 0.0)
        reported = done.stdout.count("\n")
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "cpu_s": statistics.median(cpus),
        "peak_rss_mib": max(peaks),
        "pages_reported": reported,
    }


def scan_heap_peak(vault: Path) -> float:
    """Peak Python heap (MiB) of one in-process scan, with the scan cache as the vault holds it."""
    import tracemalloc

    from topicgen.config import open_vault
    from topicgen.model.fingerprint import vault_fingerprint
    from topicgen.upkeep.staleness import scan
    from topicgen.vault.stat_cache import ScanCache

    opened, settings = open_vault(vault)
    current = vault_fingerprint(vault)
    tracemalloc.start()
    for _ in scan(opened.topics_dir, settings, current, cache=ScanCache.of(opened)):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def measure_size(pages: int, runs: int, scratch: Path) -> dict[str, Any]:
    vault = build_vault(scratch / f"vault-{pages}", pages, scratch / f"templates-{pages}")
    files = list((vault / "topics").glob("*.md"))
    page_bytes = sum(path.stat().st_size for path in files) / len(files)
    time.sleep(2.1)  # past the racy-git window: a page written within it is read again by every scan
    cold = time_stale(vault, runs, warm=False)
    shutil.rmtree(_scan_cache(vault), ignore_errors=True)
    cold["heap_peak_mib"] = scan_heap_peak(vault)  # writes the cache the warm runs read
    warm = time_stale(vault, runs, warm=True)
    warm["heap_peak_mib"] = scan_heap_peak(vault)
    cache_files = list(_scan_cache(vault).glob("*.json"))
    entries = sum(len(json.loads(file.read_text(encoding="utf-8"))["entries"]) for file in cache_files)
    cache_bytes = sum(file.stat().st_size for file in cache_files)
    shutil.rmtree(vault)
    return {
        "pages": pages,
        "page_bytes": round(page_bytes),
        "cold": cold,
        "warm": warm,
        "cache_mib": cache_bytes / 2**20,
        "cached_pages": entries,
    }


def measure_stale(sizes: list[int], runs: int = 3) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as scratch:
        return [measure_size(size, runs, Path(scratch)) for size in sizes]


def _scan_cells(scan: dict[str, Any]) -> str:
    wall, cpu, rss, heap = scan["median_s"], scan["cpu_s"], scan["peak_rss_mib"], scan["heap_peak_mib"]
    return f"{wall:>7.3f} {cpu:>6.3f} {rss:>7.1f} {heap:>6.1f}"


def print_stale(rows: list[dict[str, Any]]) -> None:
    print("stale scan: topicgen stale --json, fresh process, model-sized pages (bench/stale.py)")
    cells = f"{'s':>7} {'CPU s':>6} {'RSS MiB':>7} {'heap':>6}"
    print(f"  {'pages':>7} {'KB/page':>7} | cold {cells} | warm {cells} | {'cache MiB':>9} {'cached':>7}")
    for row in rows:
        print(
            f"  {row['pages']:>7,} {row['page_bytes'] / 1000:>7.1f} |      {_scan_cells(row['cold'])} |      "
            f"{_scan_cells(row['warm'])} | {row['cache_mib']:>9.1f} {row['cached_pages']:>7,}"
        )
    print("  targets: 10,000 pages cold <= 1.5 s, warm <= 0.3 s; 100,000 warm <= 2 s (issue 23)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="200 pages, one run (seconds)")
    parser.add_argument("--output", type=Path, help="write the figures as JSON here too")
    args = parser.parse_args()
    sizes, runs = ([200], 1) if args.smoke else (args.sizes, args.runs)
    rows = measure_stale(sizes, runs)
    print_stale(rows)
    print(f"  (load average {measure.load_average():.1f} at the end)")
    if args.output:
        record = {"smoke": args.smoke, "load_average": measure.load_average(), "stale": rows}
        args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
