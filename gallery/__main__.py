"""Run the gallery command: python -m gallery."""

import sys

from .cli import main

sys.exit(main())
