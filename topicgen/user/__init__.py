"""The user's own files, outside every vault: what a cloned vault cannot write.

Owns where those files live (``dirs``: the user's ``config.toml`` and data
folder, XDG-style), which vaults' settings the user trusts to decide where a
key goes (``trust``), and the secret that binds topicgen's caches to this user
(``seal``), so an entry shipped inside a vault is never taken for one topicgen
wrote here.

May import: ``topicgen.vault`` (its bounded reader and atomic writes) and ``topicgen.errors``.
"""
