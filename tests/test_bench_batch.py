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
    row = json.loads(output.read_text(encoding="utf-8"))
    assert row["smoke"] is True
    assert row["written"] == row["topics"] and row["lost"] == 0 and row["batches"] == 1
    assert row["own_wall_s"] > 0 and row["cpu_ms_per_page"] > 0 and row["peak_rss_mib"] > 0
    assert row["live"]["written"] == row["live"]["topics"]
    assert "batch mode" in done.stdout
