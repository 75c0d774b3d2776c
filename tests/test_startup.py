"""Start-up stays fast: the CLI imports no provider SDK and no HTTP stack until a client is built."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from topicgen.vault.stat_cache import RACY_NS

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("openai", "anthropic", "google", "httpx2", "httpx", "pydantic", "jinja2", "rich", "genai_prices")
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
    assert not {"openai", "anthropic", "google", "httpx2", "httpx", "genai_prices"} & loaded


@pytest.mark.parametrize("heavy", HEAVY)
def test_topicgen_help_loads_none_of_the_heavy_libraries(heavy):
    assert heavy not in top_level(imported_by(HELP))


def test_the_cli_modules_keep_annotations_evaluated_once():
    """typer reads every command's annotations on each run: as strings (``from __future__ import
    annotations``) they would be compiled and evaluated again every time."""
    for module in sorted((REPO / "topicgen" / "cli").glob("*.py")):
        text = module.read_text(encoding="utf-8")
        assert not re.search(r"(?m)^from __future__ import annotations", text), module.name


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


# --- What loads before a run's first request --------------------------------------------------------

FIRST_REQUEST = "--- first request, after importing: "
AT_EXIT = "--- at exit: "
# `topicgen new ...` writing on stderr the modules it has loaded when it first connects to the
# model's server, and those it has loaded when it exits. They are read from ``sys.modules``:
# ``-X importtime`` also lists optional imports that failed (an SDK probing for trio or aiohttp)
# and, with imports in more than one thread, leaves some out.
MARKED_NEW = f"""
import atexit, json, os, sys
port = int(os.environ["TEST_MODEL_PORT"])
marked = []
def loaded(label):
    sys.stderr.write(label + json.dumps(sorted(sys.modules)) + "\\n")
def mark(event, args):
    if event == "socket.connect" and not marked and isinstance(args[1], tuple) and args[1][1] == port:
        marked.append(True)
        loaded({FIRST_REQUEST!r})
        atexit.register(loaded, {AT_EXIT!r})  # before the CLI's own exit, registered earlier
sys.addaudithook(mark)
import topicgen.cli
sys.argv = ["topicgen", *sys.argv[1:]]
topicgen.cli.main()
"""
# Third-party packages a run may import before its first request: the provider SDK and what it
# stands on, the CLI, settings and the vault, the prompt templates, the retry policy.
HTTP_STACK = ("httpx2", "httpcore2", "h11", "anyio", "sniffio", "certifi", "idna", "truststore")
SDK = {
    "openai": {"openai", "jiter", "distro", *HTTP_STACK},
    "anthropic": {"anthropic", "jiter", "distro", "docstring_parser", "opentelemetry", *HTTP_STACK},
    "gemini": {"google", "websockets", *HTTP_STACK},  # google.genai and google.auth
}
CLI_SETTINGS_VAULT = ("typer", "click", "shellingham", "annotated_doc", "yaml", "slugify", "text_unidecode")
PYDANTIC = ("pydantic", "pydantic_core", "typing_extensions", "typing_inspection", "annotated_types")
PROMPTS_AND_RETRIES = ("jinja2", "markupsafe", "tenacity")
CYTHON = ("cython_runtime",)  # loaded with any compiled Cython extension
MAY_LOAD_BEFORE_THE_FIRST_REQUEST = {
    provider: {*sdk, *CLI_SETTINGS_VAULT, *PYDANTIC, *PROMPTS_AND_RETRIES, *CYTHON}
    for provider, sdk in SDK.items()
}
# topicgen's own modules that only handle a reply (validation, drift, rendering, references,
# relinking, prices, the summary) and the libraries behind them: never before the first request.
NOT_BEFORE_THE_FIRST_REQUEST = (
    "genai_prices",
    "emoji",
    "rich",
    "topicgen.page.schema",
    "topicgen.page.drift",
    "topicgen.page.text_rules",
    "topicgen.page.render",
    "topicgen.read",
    "topicgen.verify.checker",
    "topicgen.runs.references",
    "topicgen.runs.adopt",
    "topicgen.runs.regen",
    "topicgen.upkeep.links",
    "topicgen.upkeep.index",
    "topicgen.upkeep.view",
)


def loaded_before_the_first_request(
    provider: str, server, vault: Path, command: tuple[str, ...] = ("new", "Graph Theory")
) -> tuple[set[str], set[str]]:
    """(the modules `topicgen COMMAND` had loaded when it sent its first request, and when it exited)."""
    url = getattr(server, f"{provider}_base_url")
    env = {
        **os.environ,
        "OPENAI_API_KEY": "sk-test-not-real",
        "ANTHROPIC_API_KEY": "sk-test-not-real",
        "GEMINI_API_KEY": "test-not-real",
        "OPENAI_BASE_URL": server.openai_base_url,
        "ANTHROPIC_BASE_URL": server.anthropic_base_url,
        "GOOGLE_GEMINI_BASE_URL": server.gemini_base_url,
        "TOPICGEN_MODEL": f"{provider}:fake-model",
        "TEST_MODEL_PORT": str(urlsplit(url).port),
    }
    result = subprocess.run(
        [sys.executable, "-c", MARKED_NEW, *command, "--vault", str(vault)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lists = {}
    for line in result.stderr.splitlines():
        for label in (FIRST_REQUEST, AT_EXIT):
            if line.startswith(label):
                lists[label] = set(json.loads(line.removeprefix(label)))
    assert FIRST_REQUEST in lists, "the run never connected to the model's server"
    return lists[FIRST_REQUEST], lists[AT_EXIT]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "gemini"])
def test_a_run_imports_only_what_its_first_request_needs_before_sending_it(
    provider, fake_provider, references, vault
):
    before, at_exit = loaded_before_the_first_request(provider, fake_provider, vault)
    third_party = {
        name
        for name in top_level(before)
        if name not in sys.stdlib_module_names and not name.startswith("_") and name != "topicgen"
    }
    allowed = MAY_LOAD_BEFORE_THE_FIRST_REQUEST[provider]
    assert third_party <= allowed, f"imported before the first request: {sorted(third_party - allowed)}"
    early = sorted(name for name in before if name.startswith(NOT_BEFORE_THE_FIRST_REQUEST))
    assert not early, f"imported before the first request: {early}"
    assert {
        "emoji",
        "topicgen.page.render",
        "topicgen.upkeep.links",
    } <= at_exit  # they load once a reply is in


def test_regen_stale_imports_no_more_than_new_before_its_first_request(fake_provider, references, vault):
    """A whole-page regeneration sends the shipped schema, as `new` does: rendering, the page model and
    its validators load once a reply is in."""
    before_new, _ = loaded_before_the_first_request("openai", fake_provider, vault)
    page = vault / "topics" / "graph-theory.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r"(?m)^topicgen_fingerprint: .*$", "topicgen_fingerprint: old", text), "utf-8")
    before, at_exit = loaded_before_the_first_request("openai", fake_provider, vault, ("regen", "--stale"))
    early = sorted(name for name in before if name.startswith(NOT_BEFORE_THE_FIRST_REQUEST))
    # its own module and the emoji tables (a page's topic is its title without its emoji), and none
    # of what handles a reply
    assert [name for name in early if name.split(".")[0] != "emoji"] == ["topicgen.runs.regen"]
    # and the YAML parser (libyaml's Cython runtime with it): the page's frontmatter is read, safely,
    # before its request is built; `new` writes a page without reading one
    yaml = {"yaml", "cython_runtime", *(name for name in top_level(before) if name.startswith("_cython"))}
    assert top_level(before) - {"emoji"} - yaml <= top_level(before_new)
    assert {"topicgen.page.render", "topicgen.page.schema"} <= at_exit


# --- What `stale` loads ------------------------------------------------------------------------------

LOADED = "--- loaded at exit: "
# `topicgen ARGS...` writing on stderr the modules it loaded, as it leaves.
MODULES_AT_EXIT = f"""
import json, sys
import topicgen.cli
sys.argv = ["topicgen", *sys.argv[1:]]
try:
    topicgen.cli.main()
finally:
    sys.stderr.write({LOADED!r} + json.dumps(sorted(sys.modules)) + "\\n")
"""
# What listing stale pages never needs: a YAML parser (topicgen's own keys are read with a regular
# expression), slugify, prices, rendering, the emoji tables, the reply-handling and provider stacks.
NOT_FOR_STALE = ("yaml", "slugify", "genai_prices", "rich", "jinja2", "emoji", "markdown_it", *HEAVY[:5])


def modules_at_exit(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", MODULES_AT_EXIT, *args], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith(LOADED)]
    return set(json.loads(line.removeprefix(LOADED)))


def test_stale_loads_no_yaml_parser_prices_or_rendering_cold_or_warm(vault, draft_into):
    draft_into(vault)
    edited = draft_into(vault, "Graph Theory")
    edited.write_text(edited.read_text("utf-8").replace("\n\n", "\n\nA reader's note.\n\n", 1), "utf-8")
    time.sleep(RACY_NS / 1e9 + 0.1)  # pages this recent are read again, never remembered (stat_cache)
    for run in ("cold", "warm"):  # the first reads every page and leaves the scan cache; the second reads it
        loaded = top_level(modules_at_exit("stale", "--json", "--vault", str(vault)))
        assert not set(NOT_FOR_STALE) & loaded, f"{run}: {sorted(set(NOT_FOR_STALE) & loaded)}"
        assert (vault / ".topicgen" / "cache" / "scan").is_dir()


def test_the_collector_paused_for_start_up_collects_again_once_the_command_starts(vault):
    code = (
        "import gc, sys\n"
        "import topicgen.cli\n"
        "sys.argv = ['topicgen', 'stale', '--vault', sys.argv[1]]\n"
        "try:\n"
        "    topicgen.cli.main()\n"
        "finally:\n"
        "    sys.stderr.write(f'collecting={gc.isenabled()} set aside={gc.get_freeze_count() > 0}')\n"
    )
    command = [sys.executable, "-c", code, str(vault)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr.endswith("collecting=True set aside=True")
