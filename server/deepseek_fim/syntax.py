"""Language-neutral facts about lines of code: indentation, brackets, block headers and closers.

The line/block decision (context.py) and the post-processing steps read code through these
helpers. They look only at text (indentation, bracket balance, a few keywords), so they work for
every language, including those with no grammar installed. tree-sitter-language-pack was tried
for this: its 1.x wheels download each grammar from GitHub on first use (impossible offline, and
a network call from an editor plugin the user did not ask for), and the 0.x wheels with bundled
grammars weigh 20 MB; the heuristics below decide the cases the golden suite covers.
"""

from __future__ import annotations

import logging
import re

logger = logging.getLogger(__name__)

PAIRS = {")": "(", "]": "[", "}": "{"}
OPENERS = frozenset(PAIRS.values())
CLOSERS = frozenset(PAIRS)
_QUOTES = "\"'`"

# A line that opens a block: ends with an opening bracket, ``:`` (Python, YAML), ``=>``, or a
# Lua/Ruby/Julia/shell block word (``do |item|`` and Julia's ``do x`` name the block's arguments).
_HEADER_END = re.compile(
    r"(?:[{(\[:]|=>|\bthen|\bdo(?:\s*\|[^|]*\||\s+\(?\w+(?:\s*,\s*\w+)*\)?)?|\belse|\brepeat|\bbegin"
    r"|^\s*(?:local\s+)?function\b[^()]*\([^)]*\))\s*$"
)
# Words in front of a construct's keyword (visibility, Kotlin/Swift/Scala/C# modifiers, ``@attr``).
_MODIFIERS = (
    r"(?:pub(?:\([\w:]+\))?|async|export|default|static|public|private|protected|internal|"
    r"local|unsafe|const|final|abstract|override|inline|extern|open|suspend|operator|infix|"
    r"tailrec|data|sealed|inner|enum|annotation|mutating|nonmutating|fileprivate|convenience|"
    r"required|implicit|lazy|case|mutable|(?:private|protected)\[\w.]+\]|@[\w.]+(?:\([^)]*\))?)"
)
# A line whose first word starts a construct that has a body (a signature, a loop, a branch).
# The keyword must not be a name in use (``match = ...``, ``object.attr``).
_HEADER_START = re.compile(
    rf"^\s*(?:{_MODIFIERS}\s+)*"
    r"(?:def|class|fn|fun|func|function|if|elif|elsif|else|unless|for|while|until|with|try|"
    r"except|finally|match|switch|impl|struct|enum|trait|interface|"
    r"loop|catch|case|when|module|namespace|do|begin|macro|quote|defmodule|"
    r"defp|defmacro|defimpl|defprotocol)\b(?![.\w]|\s*[=.,;)\]]|\s*:\s*\w)"
)
# Lines made only of closers, optionally followed by ``;``/``,``/``)`` runs (``});``), or a
# block-ending keyword.
_CLOSER_LINE = re.compile(r"^\s*(?:[)\]}]+[;,)\]]*|end[;,)]*|until\b.*|fi|done|esac)\s*$")
# Keywords that continue the construct of the line above at the same indentation.
_CONTINUATION = re.compile(
    r"^\s*(?:\}\s*)?(?:else|elif|elseif|elsif|except|finally|catch|case|when|rescue|ensure)\b"
)
_IDENT_TAIL = re.compile(r"[\w.$]+$")


def indent_of(line: str) -> str:
    """The leading whitespace of ``line``."""
    return line[: len(line) - len(line.lstrip(" \t"))]


def width(indent: str, tab: int = 4) -> int:
    """The column ``indent`` reaches (tabs count as ``tab`` columns)."""
    return sum(tab if ch == "\t" else 1 for ch in indent)


def opens_block(line: str) -> bool:
    """True when ``line`` ends a block header: its body follows on deeper-indented lines."""
    code = strip_line_comment(line).rstrip()
    return bool(code) and bool(_HEADER_END.search(code))


def starts_construct(line: str) -> bool:
    """True when ``line`` begins with a keyword whose construct has a body (``def``, ``fn``...).

    A line ended by ``;`` is a statement (``init();``, ``struct node;``), never a header.
    """
    return bool(_HEADER_START.match(line)) and not line.rstrip().endswith(";")


def is_closer_line(line: str) -> bool:
    """True for a line that only closes blocks (``}``, ``});``, ``end``)."""
    return bool(_CLOSER_LINE.match(line))


def continues_construct(line: str) -> bool:
    """True for ``else``/``elif``/``except``/``catch`` lines that belong to the block above."""
    return bool(_CONTINUATION.match(line))


def strip_line_comment(line: str) -> str:
    """``line`` without a trailing ``#``/``//``/``--`` comment (quoted text is respected)."""
    quote = ""
    escaped = False
    for i, ch in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in _QUOTES:
            quote = ch
        elif (i == 0 or line[i - 1] in " \t") and (
            ch == "#" or line.startswith(("// ", "-- "), i) or line[i:].rstrip() in ("//", "--")
        ):
            # Only after whitespace, so that `i--`, `this.#x` and `a//b` stay code.
            return line[:i]
    return line


def open_quote(line: str, quotes: str = _QUOTES) -> str:
    """The quote a string is still open with at the end of ``line``, or '' if none.

    ``"``, ``'``, a backtick, or a triple quote (``\"\"\"``, ``\'\'\'``); only ``quotes`` open
    a string (``'`` is a lifetime in Rust, a type variable in OCaml).
    """
    quote = ""
    index = 0
    while index < len(line):
        ch = line[index]
        if quote:
            if ch == "\\":
                index += 2
                continue
            if line.startswith(quote, index):
                index += len(quote)
                quote = ""
                continue
        elif ch in quotes:
            quote = ch * 3 if line.startswith(ch * 3, index) else ch
            index += len(quote)
            continue
        index += 1
    return quote


def bracket_debt(text: str) -> int:
    """Unmatched brackets and unclosed quotes in ``text`` (quoted brackets are skipped)."""
    stack: list[str] = []
    unmatched = 0
    quote = ""
    escaped = False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in _QUOTES:
            quote = ch
        elif ch in OPENERS:
            stack.append(ch)
        elif ch in PAIRS:
            if stack and stack[-1] == PAIRS[ch]:
                stack.pop()
            else:
                unmatched += 1
    return unmatched + len(stack) + (1 if quote else 0)


def depth_change(line: str) -> tuple[int, int]:
    """(lowest, final) bracket depth reached while reading ``line`` from depth 0."""
    depth = lowest = 0
    quote = ""
    escaped = False
    for ch in strip_line_comment(line):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in _QUOTES:
            quote = ch
        elif ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            depth -= 1
            lowest = min(lowest, depth)
    return lowest, depth


def identifier_tail(text: str) -> str:
    """The identifier (dots allowed: ``cfg.ge``) that ``text`` ends with, or ''."""
    found = _IDENT_TAIL.search(text)
    return found.group(0) if found else ""
