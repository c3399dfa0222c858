"""Entry point for ``python -m wsconsole``."""

import sys

from wsconsole.cli import main

sys.exit(main())
