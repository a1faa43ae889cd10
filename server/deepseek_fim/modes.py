"""How much text to ask for at a cursor: the rest of a line, the line after it, or a block.

The decision sets the request's stop sequence and output cap (service.py), and post-processing
keeps as many lines as it says (keep_lines). It reads the cursor line only (the text before
and after the cursor) and the language. At the end of a line that opens a block, a multi-line
answer must be asked for: a ``line`` request stops at the first newline, and a CSS selector,
a Kotlin signature or a C# constructor would get a lone ``{`` (worse than no suggestion).
"""

from __future__ import annotations

import logging
from typing import Literal

from deepseek_fim import headers, syntax

logger = logging.getLogger(__name__)

# line: the rest of the cursor line; next: the rest of a finished line, or the line after it;
# block: several lines (a body, a header's block, an empty line's statements).
Mode = Literal["line", "next", "block"]

_CLOSERS = ")]}"
# The last character of a line that reads as a finished statement or item.
_FINISHED = frozenset(";,)]}\"'`")
_ENTRY_LANGUAGES = ("yaml", "toml", "ini", "properties")
# Languages where ``'`` is not always a string's quote: Rust lifetimes, ML type variables and
# primed names, Lisp's quoted forms, Visual Basic's comments.
_APOSTROPHE_LANGUAGES = frozenset(
    (
        "rust", "ocaml", "fsharp", "haskell", "elm", "purescript", "sml", "clojure", "scheme",
        "racket", "lisp", "commonlisp", "emacs-lisp", "elisp", "fennel", "vb", "vba", "coq",
    )
)  # fmt: skip


def completion_mode(line_prefix: str, line_suffix: str, language_id: str = "") -> Mode:
    """How much text to ask for, decided from the code around the cursor.

    ``block`` on an empty line, where the cursor ends a block header (``{``, ``(``, ``:``,
    ``=>``, ``then``, ``do``, a CSS selector, an ML ``with``/``->``/``=``) with only closers
    after it, or where the line starts a construct with a body (a signature: ``def``, ``fun``,
    ``public Person(int a``, an object method's name; ``if``, ``for``...); ``next`` at the end
    of a finished line (the answer may be the line after it); ``line`` elsewhere, and inside a
    one-line string (its ``(`` or ``:`` is text).
    """
    after = line_suffix.strip()
    before = line_prefix.rstrip()
    if not before and not after:
        return "block"
    if not all(ch in _CLOSERS for ch in after if not ch.isspace()):
        return "line"
    if _in_one_line_string(before, language_id):
        return "line"  # `write('(`: the bracket is text; the answer ends the string and line
    if headers.opens_block(before, language_id):
        return "block"
    if after:
        # ``public Person(string name, int |)``: the parentheses auto-closed after a signature.
        signature = after[0] == ")" and headers.starts_block(before, language_id)
        return "block" if signature and "(" in before else "line"
    if headers.starts_block(before, language_id):
        return "block"
    if before[-1] in _FINISHED or _finished_entry(before, language_id):
        return "next"
    return "line"


def _in_one_line_string(before: str, language_id: str) -> bool:
    """True when the text before the cursor ends inside a ``'`` or ``"`` string of its line."""
    quotes = '"`' if language_id.lower() in _APOSTROPHE_LANGUAGES else "\"'`"
    return syntax.open_quote(syntax.strip_line_comment(before), quotes) in ("'", '"')


def _finished_entry(line: str, language_id: str) -> bool:
    """A YAML/TOML ``key: value`` (``key = value``) line: the next entry may follow."""
    if language_id in _ENTRY_LANGUAGES:
        key, sep, value = line.partition(":" if language_id == "yaml" else "=")
        return bool(sep and key.strip() and value.strip())
    return False
