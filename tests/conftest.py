"""Shared fixtures: the repository's fixture vault, the reference page, a clean environment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
EXCHANGES = FIXTURES / "exchanges"
REFERENCE_VAULT = FIXTURES / "vaults" / "reference"
LLM_PAGE_JSON = FIXTURES / "pages" / "large-language-models.json"
CORPUS = FIXTURES / "corpus"  # copies of ../shared/corpus, so CI needs nothing outside the repo


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a real key or a real provider address from the developer's shell."""
    for name in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "OLLAMA_BASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("TOPICGEN_"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def llm_page_data() -> dict:
    """The page data of the reference page, as a model returns it."""
    return json.loads(LLM_PAGE_JSON.read_text(encoding="utf-8"))


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A writable copy of the fixture vault (four book notes, site_url set)."""
    target = tmp_path / "vault"
    shutil.copytree(REFERENCE_VAULT, target)
    return target
