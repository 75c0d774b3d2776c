"""How long `topicgen grow --dry-run` takes on a big vault: every page read, the names ranked.

    python bench/grow.py            # 10,000 pages, median of 3 fresh processes
    python bench/grow.py --smoke    # 500 pages, one run (tests/test_bench_grow.py runs it)

The vault is written directly (no model involved): pages topicgen wrote (the
reference page rendered, with generation metadata), each naming 21 topics in
its Topics tree (a parent, 4 children, 6 advanced topics), its concepts (8)
and comparisons (3, "Compared to X, ..."), as the vault's own pages do. Half
of the names are other pages of the vault: 70 % written as links (relinking
after each run makes them so), the others plain, in the plural or with a
trailing abbreviation (as in sections a person edited, which are not
relinked); the other half are topics without a page, drawn from a pool three
times the vault's size so that some are named by many pages and most by one
or two.
`topicgen grow --dry-run` then runs in a fresh process with its listing piped
(every name listed, one line each): *cold* with `--no-cache` (every page read,
by two processes), and *warm* through the scan cache a first run left (what an
hourly run meets: nothing changed is read). Reported for each: wall time
(median), CPU time, peak RSS, names listed. Target: under 2 s at 10,000 pages.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGE_DATA = REPO / "fixtures" / "pages" / "large-language-models.json"
sys.path.insert(0, str(HERE))
from measure import PROBE, save_figures  # noqa: E402  (bench/measure.py: topicgen in a fresh process, with its RSS and CPU)

CHILD = "👩\u200d👧\u200d👦"
WIZARD = "🧙\u200d♂️"


def title(n: int) -> str:
    return f"Grow Subject {n:05d}"


def slug(n: int) -> str:
    return f"grow-subject-{n:05d}"


def _name(rng: random.Random, pages: int, pool: int) -> str:
    """A topic a page names: another page (linked, plain, plural or with an abbreviation) or not."""
    if rng.random() < 0.5:
        n = rng.randrange(pages)
        form = rng.random()
        if form < 0.7:  # relinking after each run made it a link
            return f"[🧭 {title(n)}](./{slug(n)}.md) 🧭"
        if form < 0.8:
            return f"{title(n)}s 🧭"  # a plural of the page's title (in a section a person edited, say)
        if form < 0.85:
            return f"{title(n)} (GS{n}) 🧭"  # with an abbreviation
        return f"{title(n)} 🧭"
    skewed = int(pool * rng.random() ** 2)  # a few names named often, most rarely
    return f"Unwritten Theme {skewed:06d} 🌱"


def _sections(rng: random.Random, pages: int, pool: int) -> dict[str, list[str]]:
    """The Topics tree, concepts and comparisons of one page, as topicgen renders them."""
    names = [_name(rng, pages, pool) for _ in range(21)]
    tree = [f"- 👶 Parent: {names[0]}", f"- {CHILD} Children:"]
    tree += [f"    - {CHILD} {name}" for name in names[1:5]]
    tree += [f"- {WIZARD} Advanced topics:"] + [f"    - {WIZARD} {name}" for name in names[5:11]]
    concepts = [f"- 📚 {name}" for name in names[11:19]]
    comparisons = [
        f"- 🔄 Compared to {name.rsplit(' ', 1)[0]}, it is more general 🔄." for name in names[18:21]
    ]
    return {"topics": tree, "concepts": concepts, "comparisons": comparisons}


def build_vault(root: Path, pages: int, seed: int = 7) -> Path:
    """``pages`` topic pages of topicgen's, naming each other and topics without a page."""
    from topicgen.config import load_settings
    from topicgen.page.render import Provenance, render_page
    from topicgen.page.schema import TopicSummary
    from topicgen.page.sections import split_body
    from topicgen.upkeep.view import VaultView
    from topicgen.vault import Vault
    from topicgen.vault.frontmatter import split_page

    shutil.copytree(REPO / "fixtures" / "vaults" / "reference", root)
    vault = Vault.open(root)
    vault.topics_dir.mkdir()
    view = VaultView.scan(vault, load_settings(root))
    page = TopicSummary.model_validate(json.loads(PAGE_DATA.read_text(encoding="utf-8")))
    provenance = Provenance("openai:gpt-6-luna", "2026-11-01T09:00:00Z", "sha256:bench")
    template = render_page(page, view.context("TOPIC-NAME"), provenance)
    frontmatter, body = split_page(template)
    parts = split_body(body)
    rng = random.Random(seed)
    pool = 3 * pages
    for n in range(pages):
        sections = _sections(rng, pages, pool)
        blocks = []
        for block in parts.blocks:
            if block.key in sections:
                blocks += [block.lines[0], "  ", *(line + "  " for line in sections[block.key]), "  "]
            else:
                blocks += block.lines
        text = "\n".join([*parts.head, *blocks, *parts.tail]).replace("TOPIC-NAME", title(n))
        head = f"---\n{frontmatter}\n---\n".replace("TOPIC-NAME", title(n)).replace("topic-name", slug(n))
        (vault.topics_dir / f"{slug(n)}.md").write_text(head + text, encoding="utf-8")
    return root


def time_grow(vault: Path, runs: int, *extra: str) -> dict[str, Any]:
    """Median wall, CPU and peak RSS of `topicgen grow --dry-run` in a fresh process, output piped."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TOPICGEN_", "OPENAI_", "ANTHROPIC_"))},
        "TOPICGEN_VERIFY_ENABLED": "false",
    }
    walls, cpus, peaks = [], [], []
    listed = 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "grow", "--dry-run", "--vault", str(vault), *extra],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"topicgen grow --dry-run failed:\n{done.stderr}")
        figures = dict(part.split("=") for part in done.stderr.strip().splitlines()[-1].split())
        cpus.append(float(figures["cpu_s"]))
        peaks.append(int(figures["peak_rss_kib"]) / 1024)
        listed = sum(1 for line in done.stdout.splitlines() if not line.startswith("---"))
    return {
        "median_s": statistics.median(walls),
        "min_s": min(walls),
        "cpu_s": statistics.median(cpus),
        "peak_rss_mib": max(peaks),
        "names_listed": listed,
    }


def measure_grow(pages: int, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        vault = build_vault(Path(scratch) / "vault", pages)
        built = time.perf_counter() - started
        time.sleep(2.1)  # past the scan cache's racy window (a page written just now is read again)
        cold = time_grow(vault, runs, "--no-cache")
        time_grow(vault, 1)  # the first cached run reads every page and leaves the cache
        warm = time_grow(vault, runs)
        row = {"pages": pages, "runs": runs, "build_s": built, **warm, "cold": cold}
    row["load"] = os.getloadavg()[0]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="500 pages, one run (for CI)")
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument(
        "--output", type=Path, help="write the figures here (default: into bench/results.json)"
    )
    args = parser.parse_args(argv)
    row = measure_grow(500, 1) if args.smoke else measure_grow(args.pages, 3)
    row["smoke"] = args.smoke
    for name, figures in (("warm (scan cache)", row), ("cold (--no-cache)", row["cold"])):
        print(
            f"grow --dry-run over {row['pages']:,} pages, {name}: {figures['median_s']:.2f} s median "
            f"(min {figures['min_s']:.2f} s, CPU {figures['cpu_s']:.2f} s), peak RSS "
            f"{figures['peak_rss_mib']:.0f} MiB, {figures['names_listed']:,} names listed"
        )
    print(f"load {row['load']:.1f} (target: under 2 s at 10,000 pages)")
    save_figures("grow", row, args.output, args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
