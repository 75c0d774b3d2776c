"""The batch benchmark's smoke run works end to end (figures belong in bench/README.md, not in tests)."""

from __future__ import annotations

from pathlib import Path

from conftest import smoke_benchmark


def test_the_batch_benchmark_smoke_run_writes_every_page_in_one_batch_and_reports_its_figures(tmp_path: Path):
    printed, results = smoke_benchmark("batch.py", tmp_path / "batch.json")

    assert results["smoke"] is True
    scale = results["scale"]
    assert scale["written"] == scale["topics"] and scale["lost"] == 0 and scale["batches"] == 1
    assert scale["own_wall_s"] > 0 and scale["peak_rss_mib"] > 0
    for phase in ("plan_and_submit_s", "in_provider_s", "collect_and_write_s", "tail_s"):
        assert scale[phase] >= 0
    for run in results["compared"].values():
        assert run["written"] == run["topics"] and run["cpu_ms_per_page"] > 0
    assert "batch mode" in printed
