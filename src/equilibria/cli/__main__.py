"""``python -m equilibria.cli``, as before the command line became a package."""

import sys

from equilibria.cli import main

sys.exit(main())
