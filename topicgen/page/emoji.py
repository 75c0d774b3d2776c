"""Emoji in page text: trailing emoji after a name, and repairing lost zero-width joiners."""

from __future__ import annotations

import emoji

from topicgen.page.outline import ZWJ

_MAX_PARTS = 4
_NAME_END = ")]}\"'.!?"  # characters a name may end with, before its emoji


def split_trailing_emoji(text: str) -> tuple[str, str]:
    """'Artificial Intelligence 🧠' → ('Artificial Intelligence', '🧠').

    Only the text's end is tokenised (the emoji library is slow on long
    strings, and this runs for every related topic of every page).
    """
    cut = len(text)
    while cut > 0 and not (text[cut - 1].isalnum() or text[cut - 1] in _NAME_END):
        cut -= 1
    start = max(0, text.rfind(" ", 0, cut) + 1)
    end = len(text)
    for item in reversed(emoji.emoji_list(text[start:])):
        if text[start + item["match_end"] : end].strip():
            break
        end = start + item["match_start"]
    return text[:end].rstrip(), text[end:].strip()


def split_leading_emoji(text: str) -> tuple[str, str]:
    """'🤖🦜 Large Language Models' → ('🤖🦜', 'Large Language Models')."""
    start = 0
    for item in emoji.emoji_list(text):
        if text[start : item["match_start"]].strip():
            break
        start = item["match_end"]
    return text[:start].strip(), text[start:].strip()


def repair_zwj(text: str) -> str:
    """Rejoin emoji sequences whose zero-width joiners were lost ('🧙♂️' → '🧙‍♂️').

    Runs of adjacent emoji are joined, longest first, only where the joined
    sequence is a real emoji, so unrelated neighbours ('🤖🦜') stay apart.
    """
    found = emoji.emoji_list(text)
    if len(found) < 2:
        return text
    pieces: list[str] = []
    cursor = 0
    index = 0
    while index < len(found):
        item = found[index]
        pieces.append(text[cursor : item["match_start"]])
        joined, used = item["emoji"], 1
        for size in range(min(_MAX_PARTS, len(found) - index), 1, -1):
            run = found[index : index + size]
            if all(run[k]["match_end"] == run[k + 1]["match_start"] for k in range(size - 1)):
                candidate = ZWJ.join(part["emoji"] for part in run)
                if candidate in emoji.EMOJI_DATA or candidate.replace("\ufe0f", "") in emoji.EMOJI_DATA:
                    joined, used = candidate, size
                    break
        pieces.append(joined)
        cursor = found[index + used - 1]["match_end"]
        index += used
    pieces.append(text[cursor:])
    return "".join(pieces)
