"""The grow benchmark's smoke run works end to end (figures belong in bench/README.md, not in tests)."""

from __future__ import annotations

from pathlib import Path

from conftest import smoke_benchmark


def test_the_grow_benchmark_smoke_run_lists_the_frontier_of_its_vault_and_reports_its_figures(tmp_path: Path):
    printed, results = smoke_benchmark("grow.py", tmp_path / "grow.json")

    assert results["smoke"] is True and results["pages"] == 500
    assert results["names_listed"] > 0
    assert results["median_s"] > 0 and results["cpu_s"] > 0 and results["peak_rss_mib"] > 0
    assert results["cold"]["names_listed"] == results["names_listed"]  # the cache changes no answer
    assert "grow --dry-run over 500 pages, warm" in printed and "cold (--no-cache)" in printed
