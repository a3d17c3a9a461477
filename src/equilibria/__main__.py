import sys

from equilibria.cli import main

sys.exit(main())
