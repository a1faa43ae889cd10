"""Which model to use: pick from `GET /models`, or from the names a 400 message lists."""

from __future__ import annotations

import re
from collections.abc import Sequence

# In order of preference: the historical FIM model, then its successors (see deepseek-api.md).
PREFERRED_MODELS: tuple[str, ...] = ("deepseek-chat", "deepseek-flash", "deepseek-v4-flash")

_SUPPORTED = re.compile(
    r"supported\s+(?:API\s+)?model\s+names?\s+(?:are|is)\s*:?\s*(?P<names>.*?)"
    r"(?:[,;.]?\s*but\s+you\s+passed\b|$)",
    re.IGNORECASE | re.DOTALL,
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]*$")


def resolve_model(available: Sequence[str]) -> str | None:
    """Return the preferred FIM model among `available`, or None if none of them is known."""
    listed = set(available)
    for model in PREFERRED_MODELS:
        if model in listed:
            return model
    return None


def supported_models_from_message(message: str) -> tuple[str, ...]:
    """Parse "The supported API model names are a, b, but you passed c" into ("a", "b")."""
    match = _SUPPORTED.search(message)
    if match is None:
        return ()
    names: list[str] = []
    for raw in re.split(r",|\s+and\s+|\s+or\s+", match.group("names")):
        name = raw.strip(" \t\r\n'\"`[]().")
        if name and _NAME.match(name) and name not in names:
            names.append(name)
    return tuple(names)
