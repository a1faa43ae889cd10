"""The blocks the document leaves open at the cursor: enclosing headers, and closers it needs.

Shared by the steps that must not trim what the document asks for: an indentation step must
not push a ``}`` or an ``else`` typed at its header's column into the body, and a ``}`` or
``end`` that closes a block nothing below closes must not be dropped as a repeat of the line
above. Brackets are counted with `syntax.depth_change` (quotes and line comments skipped), block
words (``function``, ``module``, ``do``... against ``end``) with a few keyword rules. Only the
lines the request's context holds are read: a prefix window that starts inside a block sees
fewer openers, which errs on the side of the old behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deepseek_fim import headers, syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import lines_before

# Languages whose blocks end with `end` (in the others, an `end` answer is never needed).
END_LANGUAGES = frozenset(("ruby", "lua", "julia", "elixir", "crystal", "matlab", "octave"))
# How many non-blank lines above the cursor are read for the enclosing headers.
_ENCLOSING_LINES = 200
# A line that starts a block closed by ``end`` (Ruby, Lua, Julia, Elixir, Crystal).
_END_OPENER = re.compile(
    r"^\s*(?:(?:local|export|mutable|abstract|primitive|private|public|protected|async)\s+)*"
    r"(?:module|baremodule|function|macro|struct|quote|begin|let|if|unless|while|until|for|"
    r"case|class|def|defmodule|defp|defmacro|try|do)\b(?![.\w]|\s*[=.,;)\]])"
)
# ``function(`` inside a line (a Lua callback) and a ``do`` block that a call opens.
_INNER_FUNCTION = re.compile(r"(?<=[\s(,=])function\s*\(")
_DO_BLOCK = re.compile(r"\bdo(?:\s*\|[^|]*\||\s+\(?\w+(?:\s*,\s*\w+)*\)?)?\s*$")
_END_WORD = re.compile(r"\bend\b")
_STRING = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")
_BRACKETED = re.compile(r"\[[^\[\]]*\]")


def document_lines_before(ctx: FimContext) -> list[str]:
    """The document's lines in the prompt's window, the cursor line's text before it last."""
    return ctx.prompt.split("\n")[ctx.header_lines :]


def stands_at_header_column(ctx: FimContext, column: int) -> bool:
    """True when a block header encloses the cursor line at exactly ``column``.

    Walking up from the cursor, each line less indented than every line below it (up to the
    cursor) encloses the cursor line; the first one at or left of ``column`` decides.
    """
    lowest: int | None = None
    for line in lines_before(ctx, _ENCLOSING_LINES):
        at = syntax.width(syntax.indent_of(line))
        if lowest is not None and at >= lowest:
            continue
        lowest = at
        if at < column:
            return False
        if at == column:
            return headers.is_header(line, ctx.language_id)
    return False


def closer_needed(ctx: FimContext, text: str) -> bool:
    """True when ``text`` is only closers and the document still needs every one of them.

    Needed: the text before the cursor opens more blocks than the text after it closes (for
    ``}``/``)``/``]`` by brackets, for ``end`` by block words), at least as many as ``text``
    closes.
    """
    closers = [line.strip() for line in text.split("\n") if line.strip()]
    if not closers or not all(syntax.is_closer_line(line) for line in closers):
        return False
    before = document_lines_before(ctx)
    after = ctx.after.split("\n")
    if all(_END_WORD.match(line) for line in closers):
        if ctx.language_id not in END_LANGUAGES:
            return False
        return 0 < len(closers) <= _open_count(before, after, _end_balance)
    if any(_END_WORD.match(line) for line in closers):
        return False
    wanted = -sum(syntax.depth_change(line)[1] for line in closers)
    return 0 < wanted <= _open_count(before, after, _bracket_balance)


def _open_count(before: list[str], after: list[str], balance: Callable[[str], int]) -> int:
    """Blocks open at the cursor that the lines after it do not close."""
    opened = sum(balance(line) for line in before)
    depth = lowest = 0
    for line in after:
        depth += balance(line)
        lowest = min(lowest, depth)
    return opened + lowest


def _bracket_balance(line: str) -> int:
    return syntax.depth_change(line)[1]


def _end_balance(line: str) -> int:
    """Blocks a line opens minus the ``end``s it has (``if x then y end`` is 0)."""
    code = syntax.strip_line_comment(line)
    code = _STRING.sub('""', code)
    previous = None
    while previous != code:  # Julia's `a[end]`, `a[2:end]` are indexes, not closers
        previous, code = code, _BRACKETED.sub("", code)
    opens = 1 if _END_OPENER.match(code) else 0
    opens += len(_INNER_FUNCTION.findall(code))
    if not opens and _DO_BLOCK.search(code.rstrip()):
        opens = 1
    return opens - len(_END_WORD.findall(code))
