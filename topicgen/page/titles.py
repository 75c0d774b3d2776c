"""A topic name as a page's title: the rules model text meets, for text a person gave.

A name comes from the command line, a file of names or a page's frontmatter
(``regen``, ``adopt``), and it becomes the page's heading, its frontmatter
title and the link text other pages show: ``new "{{site.github}} Graph"``
or a frontmatter title holding ``<img onerror>`` would put live markup on a
page (issue 20). It is held to the allow-list model text meets
(``topicgen.page.markup``), loaded without the page model, so a command
checks its names before its first request.
"""

from __future__ import annotations

from topicgen.errors import TopicNameError
from topicgen.page.markup import unsafe_markup
from topicgen.vault.slugs import clean_topic_name
from topicgen.vault.slugs import clean_topics as slug_topics


def topic_name_problem(name: str) -> str | None:
    """Why a topic name cannot be a page's title, or None."""
    try:
        cleaned = clean_topic_name(name)
    except TopicNameError as error:
        return str(error)
    return unsafe_markup(cleaned)


def clean_topic(name: str) -> str:
    """A topic name ready to be a page's title (``clean_topic_name``, then the allow-list), or
    ``TopicNameError`` saying why not."""
    cleaned = clean_topic_name(name)
    problem = unsafe_markup(cleaned)
    if problem is not None:
        raise TopicNameError(f"topic name {cleaned[:60]!r} {problem}")
    return cleaned


def clean_topics(names: list[str]) -> list[str]:
    """Topic names validated as titles, each topic once (``vault.slugs.clean_topics``), in the order given."""
    topics = slug_topics(names)
    for topic in topics:
        clean_topic(topic)
    return topics
