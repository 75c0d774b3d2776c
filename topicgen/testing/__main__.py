"""``python -m topicgen.testing serve``: the stand-in services on 127.0.0.1 (``topicgen.testing.serve``)."""

import sys

from topicgen.testing.serve import main

sys.exit(main())
