"""`python -m audiodiag ...`: see audiodiag.cli."""
import sys

from audiodiag.cli import main

sys.exit(main())
