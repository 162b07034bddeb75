"""`python -m engine`: the Tunesmith command line (see engine/cli/ and docs/CLI.md)."""

import sys

from engine.cli import main

sys.exit(main())
