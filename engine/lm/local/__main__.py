"""`python -m engine.lm.local`: set-up's smoke test of the embedded runtime (`_runtime.main`).

Kept apart from `_runtime` so that running it does not re-execute a module the package has
already imported."""

import sys

from engine.lm.local._runtime import main

sys.exit(main())
