"""The `[[ ## field ## ]]` header that opens each field of a chat-format reply, as read back:
one to three `#` on each side, any spacing and case (`HEADER`; group 1 is the field name). A
name is a Python identifier, so it may start with any letter ("Ünïcode"), not only ASCII."""

from __future__ import annotations

import re

HEADER = re.compile(r"\[\[\s*#{1,3}\s*([^\W\d][\w ]*?)\s*#{1,3}\s*\]\]", re.IGNORECASE)
