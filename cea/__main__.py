"""``python -m cea`` is the ``cea`` command."""

import sys

from cea.cli import main

sys.exit(main())
