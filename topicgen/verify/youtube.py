"""What a YouTube address points at, and the search link that replaces one that leads nowhere.

Videos (``watch?v=``, ``youtu.be/``, ``shorts/``, ``embed/``, ``live/``) and
playlists are checked with oEmbed; channels (``/@handle``, ``/c/``,
``/channel/``, ``/user/``) by fetching their page, since oEmbed answers 404
for every channel. A search link (``/results?search_query=``) always leads
somewhere and needs no check. Any other address cannot be checked and is
treated as unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, quote_plus, urlsplit

WATCH_URL = "https://www.youtube.com/watch?v="
PLAYLIST_URL = "https://www.youtube.com/playlist?list="
SEARCH_URL = "https://www.youtube.com/results?search_query="
_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_VIDEO_PATH = re.compile(r"^/(?:shorts|embed|live|v)/([^/?#]+)")
_CHANNEL_PATH = re.compile(r"^/(@[^/?#]+|(?:c|channel|user)/[^/?#]+)")


class LinkKind(StrEnum):
    VIDEO = "video"
    PLAYLIST = "playlist"
    CHANNEL = "channel"
    SEARCH = "search"
    OTHER = "other"


@dataclass(frozen=True)
class YouTubeLink:
    kind: LinkKind
    key: str = ""  # the video id, playlist id or channel path ('/@veritasium')

    @property
    def oembed_url(self) -> str:
        """The address oEmbed is asked about (a canonical one, whatever the page wrote)."""
        return f"{PLAYLIST_URL}{self.key}" if self.kind is LinkKind.PLAYLIST else f"{WATCH_URL}{self.key}"


def classify(url: str) -> YouTubeLink:
    parts = urlsplit(url.strip())
    query = parse_qs(parts.query)
    path = parts.path or "/"
    if (parts.hostname or "").lower() == "youtu.be":
        video = path.strip("/").split("/")[0]
        return YouTubeLink(LinkKind.VIDEO, video) if _VIDEO_ID.match(video) else YouTubeLink(LinkKind.OTHER)
    if path.rstrip("/") == "/watch" and query.get("v"):
        video = query["v"][0]
        return YouTubeLink(LinkKind.VIDEO, video) if _VIDEO_ID.match(video) else YouTubeLink(LinkKind.OTHER)
    if match := _VIDEO_PATH.match(path):
        video = match.group(1)
        return YouTubeLink(LinkKind.VIDEO, video) if _VIDEO_ID.match(video) else YouTubeLink(LinkKind.OTHER)
    if path.rstrip("/") == "/playlist" and query.get("list"):
        return YouTubeLink(LinkKind.PLAYLIST, query["list"][0])
    if match := _CHANNEL_PATH.match(path):
        return YouTubeLink(LinkKind.CHANNEL, "/" + match.group(1))
    if path.rstrip("/") == "/results" and (query.get("search_query") or query.get("q")):
        return YouTubeLink(LinkKind.SEARCH)
    return YouTubeLink(LinkKind.OTHER)


def search_link(name: str) -> str:
    """A YouTube search for ``name``: it leads to results even when a video is gone."""
    return SEARCH_URL + quote_plus(" ".join(name.split()))
