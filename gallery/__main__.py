"""Run the gallery command: python -m gallery."""

import sys

from .cli.main import main

sys.exit(main())
