"""The reference-check benchmark's smoke run works end to end (bench/verify.py --smoke).

No figure is asserted (timings belong in the README and bench/results.json):
only that each run drafted every page, the checks ran and were cached, and
the re-ask's tokens were counted.
"""

from __future__ import annotations

from pathlib import Path

from conftest import smoke_benchmark


def test_the_reference_check_benchmark_measures_uncached_and_cached_lookups_and_re_ask_tokens(
    tmp_path: Path,
) -> None:
    printed, results = smoke_benchmark("verify.py", tmp_path / "results.json", timeout=120)
    result = results["verify"]
    off, uncached, cached = result["runs"]
    assert (off["run"], uncached["run"], cached["run"]) == ("off", "uncached", "cached")
    assert off["lookup_s"] == 0 and uncached["lookup_s"] > 0 and cached["lookup_s"] > 0
    assert uncached["verified_pages"] == cached["verified_pages"] == result["topics"]
    assert result["reask_usage_per_page"]["output"] > 0
    assert "reference checks" in printed
