"""Start-up stays fast: the CLI imports no provider SDK and no HTTP stack until a client is built."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("openai", "anthropic", "httpx2", "httpx", "pydantic", "jinja2", "rich", "genai_prices")
HELP = """
import sys
import topicgen.cli

sys.argv = ["topicgen", "--help"]
try:
    topicgen.cli.main()
except SystemExit:
    pass
"""


def imported_by(code: str) -> set[str]:
    """Every module Python imports to run ``code``, read from ``-X importtime``."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    return modules


def top_level(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_importtime_output_is_read_correctly():
    assert "json" in top_level(imported_by("import json"))


def test_importing_the_cli_loads_no_provider_sdk_or_http_stack():
    loaded = top_level(imported_by("import topicgen.cli"))
    assert "topicgen" in loaded
    assert not {"openai", "anthropic", "httpx2", "httpx", "genai_prices"} & loaded


@pytest.mark.parametrize("heavy", HEAVY)
def test_topicgen_help_loads_none_of_the_heavy_libraries(heavy):
    assert heavy not in top_level(imported_by(HELP))


def test_topicgen_help_still_prints_the_commands():
    result = subprocess.run(
        [sys.executable, "-m", "topicgen", "--help"], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert "new" in result.stdout
    assert "schema" in result.stdout


def test_the_startup_benchmark_reports_medians_for_help_and_an_offline_new():
    spec = importlib.util.spec_from_file_location("bench_startup", REPO / "bench" / "startup.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.measure_startup(1)
    assert results["runs"] == 1
    assert results["help_median_ms"] > 0
    assert results["new_offline_median_ms"] > 0
    assert results["help_target_ms"] == 300.0
    assert isinstance(results["help_under_target"], bool)


def test_the_command_leaves_with_its_own_exit_code_and_all_its_output(tmp_path):
    missing = tmp_path / "nowhere"
    result = subprocess.run(
        [sys.executable, "-m", "topicgen", "stale", "--vault", str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error:") and str(missing) in result.stderr


def test_preloading_a_built_in_provider_imports_its_sdk_in_the_background():
    code = (
        "import sys\n"
        "from topicgen.runs.warmup import preload\n"
        "thread = preload('openai:gpt-x')\n"
        "thread.join()\n"
        "print('openai' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize("spec", ["myplugin:model", "not a spec"])
def test_nothing_is_preloaded_for_a_plugin_or_a_bad_spec(spec):
    from topicgen.runs.warmup import preload

    assert preload(spec) is None
