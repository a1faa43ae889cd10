"""How long to wait after a keystroke before asking DeepSeek: short where typists pause.

The debounce exists because a request sent while the user is still typing is wasted (it is
aborted by the next key, and DeepSeek may bill its prompt); every millisecond of it is also a
millisecond the user waits at a real pause. Typists pause at the start of a line, after an
opening bracket, a colon, a comma or `=`, after a keyword and a space, and after accepting a
suggestion: there is no wait. Most pauses come at the end of a line after its last word, before
Enter (the user thinks about the next line): there is no wait either, because a request there is
not wasted if the user types on: its answer (the rest of the line, or the next line) answers the
characters typed into it, and the request in flight is waited for, not aborted (reuse.py).
Elsewhere (inside a line, after an operator, a dot, a closing bracket) the whole `debounceMs`
applies: measured with bench/bench_editor_pauses.py, a shorter wait there mostly sent requests
that the next key aborted.

Pure functions of the text before the cursor; the service decides when a suggestion was just
accepted.
"""

from __future__ import annotations

import re
from typing import Literal

Mode = Literal["line", "next", "block"]

# The wait at each kind of place, as a fraction of debounceMs (so that 0 still means no wait).
SHARE = {"line-start": 0.0, "line-end": 0.0, "opener": 0.0, "keyword": 0.0, "other": 1.0}

# Characters after which a typist often stops to think (optionally followed by one space).
OPENERS = frozenset(":{([,=")

# Keywords after which (and a space) the next thing is a new expression or name, in the
# languages people complete most; a word that is a keyword in one and a name in another only
# shortens one wait.
KEYWORDS = frozenset(
    (
        "and", "as", "assert", "async", "await", "break", "case", "catch", "class", "const",
        "continue", "def", "del", "do", "elif", "else", "except", "export", "extends", "finally",
        "fn", "for", "from", "func", "function", "go", "if", "impl", "import", "in", "is",
        "lambda", "let", "local", "match", "mod", "new", "not", "or", "pub", "raise", "return",
        "static", "struct", "switch", "then", "throw", "try", "type", "use", "var", "while",
        "with", "yield",
    )
)  # fmt: skip

_LAST_WORD = re.compile(r"([A-Za-z_]\w*) $")


def pause_kind(line_prefix: str, line_suffix: str | None = None) -> str:
    """Name the place of the cursor: line-start, line-end, opener, keyword or other.

    `line-end`: after a word character with nothing but blanks after the cursor on its line
    (None: the text after the cursor is not known, never a line end). At the end of a line
    after a closer or an operator the whole wait stays: measured with
    bench/bench_editor_pauses.py, sending there at once added a sixth more requests (USD 0.102
    instead of 0.089 per hour) for a few line-end pauses that came 125 ms sooner.
    """
    if not line_prefix.strip():
        return "line-start"
    last = line_prefix[-1]
    line_end = line_suffix is not None and at_line_end(line_suffix)
    if last.isalnum() or last == "_":
        return "line-end" if line_end else "other"  # inside a word
    before = line_prefix[:-1] if last == " " else line_prefix
    if before and before[-1] in OPENERS:
        return "opener"
    word = _LAST_WORD.search(line_prefix)
    if word is not None and word.group(1) in KEYWORDS:
        return "keyword"
    return "other"


def at_line_end(line_suffix: str) -> bool:
    """Whether the cursor ends its line's text (only blanks after it)."""
    return not line_suffix.strip()


def line_end_mode(mode: Mode, line_prefix: str, line_suffix: str) -> Mode:
    """The mode for a request at a line's end after a word character: `next`, not `line`.

    There the user either types on (the answer's first line is the rest of the line, as a
    `line` answer would be) or stops to think about the next line and presses Enter: a `line`
    request (it stops at the line break) can answer only the first, a `next` request (it stops
    at a blank line) both. Its answer may start on the next line, so Enter typed into it is
    answered with no new request (reuse.py).
    """
    if mode == "line" and pause_kind(line_prefix, line_suffix) == "line-end":
        return "next"
    return mode


def pause_delay(
    line_prefix: str,
    debounce_s: float,
    *,
    just_accepted: bool = False,
    editor_wait_s: float = 0.0,
    line_suffix: str | None = None,
) -> float:
    """Seconds to wait before sending a request for a cursor after `line_prefix`.

    `debounce_s` (the `debounceMs` setting) is the wait inside a word and at any place not
    known as a pause; right after an accepted suggestion there is none. `editor_wait_s` is what
    the editor itself already waited after the key before it asked (VS Code: 50 ms): the two
    waits do not add up, the server waits only what is left.
    """
    if just_accepted:
        return 0.0
    return max(0.0, debounce_s * SHARE[pause_kind(line_prefix, line_suffix)] - editor_wait_s)
