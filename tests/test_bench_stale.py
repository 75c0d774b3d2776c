"""The stale-scan benchmark's smoke run works end to end (figures belong in bench/README.md, not in tests)."""

from __future__ import annotations

from pathlib import Path

from conftest import smoke_benchmark


def test_the_stale_benchmark_scans_cold_and_warm_and_the_warm_scan_finds_every_page_cached(tmp_path: Path):
    printed, results = smoke_benchmark("stale.py", tmp_path / "stale.json")

    assert results["smoke"] is True
    (row,) = results["stale"]
    assert row["page_bytes"] >= 12_000  # model-sized pages
    assert row["cached_pages"] == row["pages"]
    for scan in (row["cold"], row["warm"]):
        assert scan["pages_reported"] == row["pages"]
        assert scan["median_s"] > 0 and scan["peak_rss_mib"] > 0 and scan["heap_peak_mib"] > 0
    assert "stale scan" in printed
