"""topicgen: draft and maintain encyclopedia-style topic notes in a Markdown vault."""

__version__ = "0.1.0"
