"""Saved replies: turning a page stored as JSON back into Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from topicgen.errors import InvalidReply, UsageError
from topicgen.generate import parse_page_json
from topicgen.pipeline import VaultView
from topicgen.render import render_page


def page_data(saved: Any) -> tuple[Any, str | None]:
    """(page object, recorded topic) from the forms a reply is saved in.

    Accepted: the page itself; ``{"topic": ..., "page": ...}``; a recorded
    OpenAI or Anthropic exchange (its first response's message).
    """
    if not isinstance(saved, dict):
        raise UsageError("a saved reply must be a JSON object")
    if "page" in saved:
        return saved["page"], saved.get("topic")
    body = saved.get("response", {}).get("body", saved) if "response" in saved else saved
    if isinstance(body, dict) and "choices" in body:
        return json.loads(body["choices"][0]["message"]["content"]), None
    if isinstance(body, dict) and body.get("type") == "message":
        for block in body.get("content", []):
            if block.get("type") == "tool_use":
                return block["input"], None
            if block.get("type") == "text":
                return json.loads(block["text"]), None
    return saved, None


def render_saved_reply(path: Path, topic: str | None, vault_root: Path) -> str:
    from topicgen.config import open_vault
    from topicgen.runner import clean_topics

    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not valid JSON: {error}") from None
    data, recorded_topic = page_data(saved)
    topic = topic or recorded_topic
    if not topic:
        raise UsageError(f"{path} does not record its topic; pass --topic NAME")
    (topic,) = clean_topics([topic])
    try:
        page = parse_page_json(json.dumps(data))
    except InvalidReply as error:
        raise UsageError(f"{path}: {error}") from None
    vault, settings = open_vault(vault_root)
    return render_page(page, VaultView.scan(vault, settings).context(topic))
