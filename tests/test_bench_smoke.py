"""The benchmark's smoke run works end to end, so the benchmark cannot rot.

No figure is asserted (timings belong in bench/README.md, not in tests): only
that every section ran, produced numbers, and that no page was lost.
"""

from __future__ import annotations

from pathlib import Path

from conftest import smoke_benchmark


def test_the_benchmark_smoke_run_measures_every_section_and_loses_no_page(tmp_path: Path) -> None:
    printed, results = smoke_benchmark("run.py", tmp_path / "results.json", "--no-stale")

    assert results["meta"]["smoke"] is True
    assert results["startup"]
    assert results["local_work"]["drafter_pipeline"]["median_ms"] > 0
    assert results["throughput"]
    for row in results["throughput"]:
        assert row["exit_code"] == 0
        assert row["lost"] == 0 and row["written"] == row["topics"]
        assert row["bound_s"] > 0 and row["wall_s"] > 0
    floor = results["floor"]  # new and regen --stale beside the SDK alone, same server (issue 23)
    assert floor["floor_s"] > 0 and floor["lost"] == 0
    assert floor["floor_program_s"] > floor["floor_s"]  # the SDK's import counts as a program's
    for run in floor["rounds_run"]:
        assert run["new"]["exit_code"] == 0 and run["new"]["written"] == floor["topics"]
        assert run["regen"]["exit_code"] == 0 and run["regen"]["written"] == floor["topics"]
        assert run["new"]["ratio"] > 0 and run["regen"]["ratio"] > 0
        assert run["new"]["program_ratio"] < run["new"]["ratio"]
    for row in results["drift"]:  # bench/drift.py: replies that drift cost no page (issue 8)
        assert row["exit_code"] == 0 and row["written"] == row["topics"]
    assert "throughput" in printed and "near the floor" in printed  # the tables were printed
