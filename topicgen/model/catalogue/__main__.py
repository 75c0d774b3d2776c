"""``python -m topicgen.model.catalogue refresh [--write]``: the maintainer's refresh (refresh.py)."""

from topicgen.model.catalogue.refresh import main

raise SystemExit(main())
