"""``python -m calibration``: the command line."""

import sys

from calibration.cli import main

if __name__ == "__main__":
    sys.exit(main())
