"""What an API key, or a credential inside a URL, looks like.

One place for the checks that keep secrets out of specs, LM settings, the run store, exports
and logs (`engine.runs.spec._redact` masks what these find; specs and `LM(...)` refuse it):

- `url_credentials(url)`: why a URL carries a credential, or None. Decided by what an endpoint
  URL may carry, not by a list of providers: no ``user:KEY@`` before the host, no parameter
  (``?name=``, ``&name=``, ``;name=``, ``#name=``) with a key's name or a value that looks like
  a key (`secret_value`), no long random-looking part in the path, no key-shaped text.
- `key_shape(text)`: the kind of key-shaped token in `text` (``sk-…``, ``sk-ant-…``, ``AKIA…``,
  a long random-looking token, ...), or None. Never the token itself.
- `secret_problems(data)`: ``"path: what is wrong"`` for every string inside dicts and lists
  that holds a key or a URL with a credential (messages never quote the value).

Messages say where a key belongs instead: the dashboard's API key box, or the provider's
environment variable.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any
from urllib.parse import unquote_plus, urlsplit

WHERE_KEYS_GO = (
    "type the key in the API key box (in code: LM(..., api_key=...)), or set the provider's "
    "environment variable (e.g. OPENAI_API_KEY) instead"
)

# Prefixed key shapes: (what it is, pattern). Matches are masked by `engine.runs.spec._redact`.
KEY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("an API key (sk-…)", r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{8,}"),  # OpenAI, Anthropic sk-ant-
    ("an AWS access key (AKIA…)", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("a Google API key (AIza…)", r"\bAIza[0-9A-Za-z_\-]{20,}"),
    ("a Hugging Face token (hf_…)", r"\bhf_[A-Za-z0-9]{20,}"),
    ("a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    ("a Slack token", r"\bxox[abeprs]-[A-Za-z0-9\-]{10,}"),
    ("a bearer token", r"(?i:bearer)\s+(?=[A-Za-z._\-]*\d)[A-Za-z0-9._\-]{12,}"),
)
KEY_SHAPES = re.compile("|".join(f"(?:{p})" for _, p in KEY_PATTERNS))
_KINDS = [(kind, re.compile(p)) for kind, p in KEY_PATTERNS]

# A long run of key characters: a key without a known prefix when it also looks random.
TOKEN = re.compile(r"(?<![A-Za-z0-9_\-])[A-Za-z0-9_\-]{32,}(?![A-Za-z0-9_\-])")
_WORDS = re.compile(r"[a-z]{4,}|[A-Z][a-z]{3,}")

# A URL (scheme://...) inside free text.
URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"'`]+")
# user[:password]@ right after the scheme (the last '@' before the path).
URL_USERINFO = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://)[^/\s?#<>\"'`]*@")
# Parameter names that say a credential: a secret word, alone or after other words
# (?api_key=, &token=, ?x-goog-api-key=, ?subscription-key=, ;sig=).
SECRET_PARAM_NAMES = (
    r"(?:api[_-]?key|apikey|key|access[_-]?key|secret|client[_-]?secret|token"
    r"|access[_-]?token|auth|authorization|password|passwd|pwd|sig|signature|credentials?)"
)
_SECRET_PARAM = re.compile(rf"(?i)^(?:[a-z0-9]+[_.\-])*{SECRET_PARAM_NAMES}$")
# A parameter in a URL (or in text that quotes one): ?name=value, &name=value, ;name=value (a
# path parameter), #name=value (a fragment). Groups: "?name=", the name, the value.
URL_PARAM = re.compile(r"([?&;#]([A-Za-z0-9_.~%+\-]{1,64})=)([^&;#\s\"'<>]*)")
ENDPOINT_FIELDS = ("api_base", "base_url")


def random_token(token: str) -> bool:
    """True when `token` (a run of key characters) looks random, like a key or a bearer token, and
    not like a long identifier or file name: mixed case with digits, high entropy (bits per
    character), few dictionary-like letter runs. Lowercase hex (hashes, run ids) never does."""
    upper = sum(c.isupper() for c in token)
    lower = sum(c.islower() for c in token)
    digits = sum(c.isdigit() for c in token)
    if upper < 2 or lower < 2 or digits < 2:
        return False
    counts = Counter(token)
    entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
    if entropy < 3.5:
        return False
    wordy = sum(len(m) for m in _WORDS.findall(token)) / len(token)
    return wordy < 0.5


def random_tokens(text: str) -> list[tuple[int, int]]:
    """(start, end) of each random-looking long token in `text`."""
    return [m.span() for m in TOKEN.finditer(text) if random_token(m.group())]


def key_shape(text: str) -> str | None:
    """What kind of key `text` holds (see KEY_PATTERNS, or a random-looking token), or None."""
    if not isinstance(text, str) or len(text) < 8:
        return None
    for kind, pattern in _KINDS:
        if pattern.search(text):
            return kind
    if random_tokens(text):
        return "a long random-looking token (an API key?)"
    return None


def secret_value(value: str, *, ids_allowed: bool = False) -> bool:
    """True when a URL parameter's value (or, with `ids_allowed`, a path segment) looks like a
    key: 20+ letters and digits, 16+ of them in one run, not made of words, with 2+ of each (a
    parameter's value: dates, versions, GUIDs and run ids are cut by separators), or also mixed
    case and random-looking (a path segment: `random_token`), since paths carry lowercase and
    hexadecimal ids (account ids, GUIDs, hashes) that are not secrets."""
    core = re.sub(r"[^A-Za-z0-9]", "", value)
    if len(core) < 20:
        return False
    if ids_allowed:
        return random_token(core)
    letters = sum(c.isalpha() for c in core)
    wordy = sum(len(m) for m in _WORDS.findall(core)) / len(core)
    longest = max(len(run) for run in re.findall(r"[A-Za-z0-9]+", value))
    return longest >= 16 and letters >= 2 and len(core) - letters >= 2 and wordy < 0.5


def secret_param(name: str, value: str) -> bool:
    """True when a URL parameter `name=value` carries a credential: a key's name with a value,
    or a value that looks like a key whatever its name."""
    name, value = unquote_plus(name).strip(), unquote_plus(value).strip()
    return bool(value) and (bool(_SECRET_PARAM.match(name)) or secret_value(value))


def url_credentials(url: str | None) -> str | None:
    """Why `url` carries a credential, or None. A URL without a scheme is read as host/path."""
    if not url or not isinstance(url, str):
        return None
    text = url.strip()
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
        netloc, path = parts.netloc, parts.path
        rest = text[text.index(netloc) + len(netloc) :] if netloc else text
    except ValueError:  # a malformed host: fall back to the text itself
        netloc, _, rest = text.partition("/")
        path = rest.partition("?")[0]
    if "@" in netloc:
        return "a user name or password before the host (user:KEY@host)"
    for match in URL_PARAM.finditer(rest):
        name = unquote_plus(match.group(2)).strip()
        if secret_param(name, match.group(3)):
            shown = name if len(name) <= 40 and key_shape(name) is None else "a parameter"
            return f"a key in its parameters ({shown}=…)"
    if any(secret_value(part.split(";")[0], ids_allowed=True) for part in path.split("/")):
        return "a long random-looking part in its path (an API key?)"
    return key_shape(text)


def url_problem(url: str | None, field: str = "api_base") -> str | None:
    """The message refusing `url` for `field`, or None when it carries no credential."""
    why = url_credentials(url)
    if why is None:
        return None
    return f"{field}: the URL holds {why}. Never put a key in a URL: {WHERE_KEYS_GO}"


def endpoint_problem(settings: Any) -> str | None:
    """The message refusing the first endpoint URL (`api_base`, `base_url`) in a mapping of LM
    settings that carries a credential, or None."""
    for field in ENDPOINT_FIELDS:
        problem = url_problem(settings.get(field), field) if hasattr(settings, "get") else None
        if problem is not None:
            return problem
    return None


def text_problem(text: str) -> str | None:
    """Why free text (a name, an instruction, a path, ...) may not be stored, or None."""
    if not isinstance(text, str) or len(text) < 8:
        return None
    for match in URL.finditer(text):
        why = url_credentials(match.group())
        if why is not None:
            return f"holds a URL with {why}. Never put a key in a URL: {WHERE_KEYS_GO}"
    kind = key_shape(text)
    if kind is not None:
        return (
            f"looks like it holds {kind}. Keys are never saved in a project, a run or an "
            f"export: {WHERE_KEYS_GO}"
        )
    return None


def secret_problems(data: Any, path: str = "") -> list[str]:
    """``"path: problem"`` for each string (dict keys included) inside `data` holding a key."""
    out: list[str] = []
    if isinstance(data, str):
        problem = text_problem(data)
        if problem is not None:
            out.append(f"{path or 'value'}: {problem}")
    elif isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and text_problem(key) is not None:
                out.append(f"{path or 'spec'}: a key name {text_problem(key)}")
                continue
            out += secret_problems(value, where)
    elif isinstance(data, (list, tuple)):
        for i, value in enumerate(data):
            out += secret_problems(value, f"{path}.{i}" if path else str(i))
    return out
