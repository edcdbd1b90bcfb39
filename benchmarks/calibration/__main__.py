"""python -m benchmarks.calibration (see benchmarks/calibration/cli.py)."""
import sys

from benchmarks.calibration.cli import main

sys.exit(main())
