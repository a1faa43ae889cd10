"""The fake's `oracle_files` mode: answer a FIM request with what the typist will type next.

bench/bench_editor_pauses.py replays a typist who retypes a region of a real file; the oracle
knows the whole file, finds where the prompt ends in it, and answers with what the typist is
about to type: the text from the cursor up to where the request's suffix begins, one line at a
time if told so, and wrong at a fixed share of places if told so. With a right answer the
benchmark measures the cost and timing of the machinery around the model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

# Enough of the prompt's end to find the cursor in a file; header and snippets come before it.
_ANCHOR_CHARS = 400
# Enough of the suffix's start to find where the typed region ends.
_SUFFIX_CHARS = 200
_WORD = re.compile(r"[A-Za-z_]\w*")


def true_continuation(texts: Sequence[str], prompt: str, suffix: str) -> str | None:
    """Return the true continuation between `prompt` and `suffix`, or None if no text fits."""
    found = locate(texts, prompt, suffix)
    return None if found is None else texts[found.text][found.cursor : found.end]


@dataclass(frozen=True)
class Continuation:
    """Where a request's cursor is in one of the oracle's texts, and where its suffix begins."""

    text: int
    cursor: int
    end: int


def locate(texts: Sequence[str], prompt: str, suffix: str) -> Continuation | None:
    """Find the cursor of a FIM request in `texts`; None if the prompt is in none of them.

    The cursor is where the prompt's end occurs in one of `texts`: its last 400 characters, or,
    when the prompt is shorter or begins with a header that is not in the file, the longest end
    of it that starts a line both in the prompt and in the text. The continuation runs from
    there to the next place where `suffix` begins (to the end of the text when `suffix` is
    empty). Where that end occurs more than once, the shortest continuation wins.
    """
    tail = prompt[-_ANCHOR_CHARS:]
    head = suffix[:_SUFFIX_CHARS]
    best: Continuation | None = None
    for index, text in enumerate(texts):
        anchor = _longest_end_in(tail, text)
        whole = len(anchor) == len(tail)
        if not anchor or not (whole or prompt[-len(anchor) - 1] == "\n"):
            continue
        start = text.find(anchor)
        while start >= 0:
            cursor = start + len(anchor)
            end = text.find(head, cursor) if head else len(text)
            at_line_start = start == 0 or text[start - 1] == "\n"
            shorter = best is None or end - cursor < best.end - best.cursor
            if end >= 0 and (whole or at_line_start) and shorter:
                best = Continuation(index, cursor, end)
            start = text.find(anchor, start + 1)
    return best


def is_right(found: Continuation, accuracy: float, seed: int = 0, *, at: int | None = None) -> bool:
    """Whether the oracle answers right at this place.

    A fixed draw per place (`at`, an offset in the text; the cursor by default) and seed, so
    every run of a benchmark meets the same wrong answers at the same places.
    """
    if accuracy >= 1:
        return True
    place = found.cursor if at is None else at
    digest = hashlib.sha256(f"{seed}:{found.text}:{place}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < accuracy


def last_word_end(found: Continuation, answer: str) -> int:
    """Where the answer's last word ends in the text (the cursor if it has none).

    The word a spoiled answer gets wrong: asked from any place before it, the same word.
    """
    words = list(_WORD.finditer(answer))
    return found.cursor + words[-1].end() if words else found.cursor


def spoil(answer: str) -> str:
    """A wrong answer that starts right: the last word of `answer` is changed ("" if none)."""
    words = list(_WORD.finditer(answer))
    if not words:
        return ""
    last = words[-1]
    return answer[: last.end()] + "_x" + answer[last.end() :]


def first_lines(text: str, count: int) -> str:
    """The start of `text` up to the end of its `count`-th line with content (0: all of it).

    A model that is right about one line at a time: `count` lines, not counting the line break
    (and indentation) that may come first when the cursor is at the end of a line.
    """
    if count <= 0:
        return text
    seen = 0
    for index, line in enumerate(text.split("\n")):
        if line.strip():
            seen += 1
            if seen == count:
                return "\n".join(text.split("\n")[: index + 1])
    return text


def _longest_end_in(tail: str, text: str) -> str:
    """The longest end of `tail` that occurs in `text` (a shorter end occurs wherever it does)."""
    low, high = 0, len(tail)
    while low < high:
        middle = (low + high + 1) // 2
        if tail[len(tail) - middle :] in text:
            low = middle
        else:
            high = middle - 1
    return tail[len(tail) - low :]
