"""The `[[ ## field ## ]]` header that opens each field of a chat-format reply, as read back:
one to three `#` on each side, any spacing and case (`HEADER`; group 1 is the field name)."""

from __future__ import annotations

import re

HEADER = re.compile(r"\[\[\s*#{1,3}\s*([A-Za-z_][\w ]*?)\s*#{1,3}\s*\]\]", re.IGNORECASE)
