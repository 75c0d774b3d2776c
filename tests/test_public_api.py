"""What a Python user imports: the entry points are exported from ``topicgen``, documented, and lazy."""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import topicgen
from tests.conftest import EXCHANGES, REFERENCE_PAGE

ENTRY_POINTS = ["draft_topics", "regenerate", "adopt_pages", "read_page", "render_page", "TopicSummary"]


@pytest.mark.parametrize("name", topicgen.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(topicgen, name) is not None


@pytest.mark.parametrize("name", [name for name in topicgen.__all__ if name != "__version__"])
def test_every_exported_name_has_a_docstring(name):
    assert inspect.getdoc(getattr(topicgen, name))


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_the_entry_points_the_issue_names_are_exported(name):
    assert name in topicgen.__all__


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        topicgen.nothing_here  # noqa: B018


def test_importing_topicgen_loads_none_of_the_entry_points_modules():
    code = (
        "import sys, topicgen\n"
        "print(sorted(m for m in sys.modules if m.startswith(('topicgen.', 'pydantic'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_read_page_reads_a_page_file_back_into_the_whole_summary():
    page = topicgen.read_page(REFERENCE_PAGE)
    assert page.complete
    assert isinstance(page.summary(), topicgen.TopicSummary)


def test_a_library_user_drafts_a_page_with_the_documented_calls(vault: Path):
    vault, settings = topicgen.open_vault(vault, {"model": f"replay:{EXCHANGES / 'openai'}"})
    client = topicgen.build_client(settings)
    report = asyncio.run(topicgen.draft_topics(vault, settings, ["Large Language Models"], client=client))
    [(_, outcome)] = report.results
    assert outcome.status == "written"
    assert topicgen.read_page(outcome.path).complete
