"""Deterministic fake tokenizer and prefix-cache simulation of the fake DeepSeek API.

Not DeepSeek's tokenizer: a regex that splits text into pieces of roughly the real size
(about 4 characters per token on code), stable across runs so that tests can predict usage.
Joining the tokens of a text gives the text back, so cutting a token list cuts the text.
"""

from __future__ import annotations

import hashlib
import re

# A word (letters and underscores) keeps one leading space as in BPE vocabularies, a line break
# keeps its indentation, digits go in threes, punctuation in runs of up to three.
_TOKEN_RE = re.compile(
    r" ?[A-Za-z_]+| ?\d{1,3}|\n[ \t]*| ?[^\w\s]{1,3}|[ \t]+|\w{1,2}|.",
    re.DOTALL,
)
_MAX_PIECE = 8


def tokenize(text: str) -> list[str]:
    """Split `text` into fake tokens; `"".join(tokenize(text)) == text`."""
    tokens: list[str] = []
    for match in _TOKEN_RE.finditer(text):
        piece = match.group()
        if len(piece) <= _MAX_PIECE:
            tokens.append(piece)
        else:
            tokens.extend(piece[i : i + _MAX_PIECE] for i in range(0, len(piece), _MAX_PIECE))
    return tokens


def count_tokens(text: str) -> int:
    """Return the number of fake tokens in `text`."""
    return len(tokenize(text))


def unit_digests(tokens: list[str], unit: int) -> list[bytes]:
    """Return the cumulative hash of every full `unit`-token prefix of `tokens`."""
    digest = hashlib.sha256(f"unit={unit}".encode())
    digests: list[bytes] = []
    for index, token in enumerate(tokens, start=1):
        data = token.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(4, "big") + data)
        if index % unit == 0:
            digests.append(digest.copy().digest())
    return digests


class PrefixCache:
    """Remembers the prefixes seen so far in whole units counted from token 0.

    A unit becomes a hit `build_s` seconds after the request that first sent it (DeepSeek builds
    its cache within seconds of a request, so a prompt repeated at once misses).
    """

    def __init__(self) -> None:
        self._ready_at: dict[bytes, float] = {}

    def lookup_and_store(
        self, tokens: list[str], unit: int, *, now: float = 0.0, build_s: float = 0.0
    ) -> int:
        """Return the cache-hit token count of `tokens` at time `now`, then remember their units."""
        digests = unit_digests(tokens, unit)
        hit_units = 0
        for digest in digests:
            ready_at = self._ready_at.get(digest)
            if ready_at is None or ready_at > now:
                break
            hit_units += 1
        for digest in digests:
            self._ready_at.setdefault(digest, now + build_s)
        return hit_units * unit

    def clear(self) -> None:
        """Forget every prefix."""
        self._ready_at.clear()
