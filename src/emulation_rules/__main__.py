"""``python -m emulation_rules``: the command line."""

import sys

from emulation_rules.cli import main

sys.exit(main())
