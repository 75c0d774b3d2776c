"""The batch benchmark's smoke run works end to end (figures belong in bench/README.md, not in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_the_batch_benchmark_smoke_run_writes_every_page_in_one_batch_and_reports_its_figures(tmp_path: Path):
    output = tmp_path / "batch.json"

    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "batch.py"), "--smoke", "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(output.read_text(encoding="utf-8"))
    assert results["smoke"] is True
    scale = results["scale"]
    assert scale["written"] == scale["topics"] and scale["lost"] == 0 and scale["batches"] == 1
    assert scale["own_wall_s"] > 0 and scale["peak_rss_mib"] > 0
    for phase in ("plan_and_submit_s", "in_provider_s", "collect_and_write_s", "tail_s"):
        assert scale[phase] >= 0
    for run in results["compared"].values():
        assert run["written"] == run["topics"] and run["cpu_ms_per_page"] > 0
    assert "batch mode" in done.stdout
