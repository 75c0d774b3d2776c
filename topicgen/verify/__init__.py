"""Checking the references a page recommends against real services: books and YouTube links.

Owns the book matching rule (``matching``), what a YouTube address points at
and its search-link replacement (``youtube``), the polite HTTP clients for a
book catalog (Open Library's search API) and YouTube (oEmbed for videos, the
page itself for channels) with a concurrency limit, a User-Agent naming
topicgen, 429/``Retry-After`` and short timeouts (``services``), the lookup
cache with an age limit under ``<vault>/.topicgen/cache/verify`` (``cache``),
and the ``Verifier`` that puts them together and reads books and videos out
of page data (``checker``). Nothing here asks a model or writes a page: the
page jobs in ``topicgen.runs`` re-ask and render, ``topicgen.upkeep`` reports.

May import: ``topicgen.page``, ``topicgen.vault``, ``topicgen.errors`` and
``topicgen.resources``; httpx2 for HTTP.
"""

from __future__ import annotations
