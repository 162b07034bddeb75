"""`python -m engine.lm.local`: set-up's smoke test of the embedded runtime (`_smoke.main`).

Kept apart from `_smoke` so that running it does not re-execute a module the package has
already imported."""

import sys

from engine.lm.local.runtime import main

sys.exit(main())
