"""What every post-processing step takes and returns: the text to insert and what it replaces.

Also the read-only views of the document around the cursor that the steps share (the lines
before and after the cursor line, as the request's context saw them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deepseek_fim.context import FimContext


@dataclass(frozen=True)
class Candidate:
    """Text to insert at the cursor, and what it replaces after the cursor.

    ``replace`` is the start of the cursor line's text after the cursor that the text replaces
    (auto-closed closers the answer already contains); the edit's range ends after it.
    """

    text: str
    replace: str = ""


Step = Callable[[Candidate, FimContext], Candidate | None]


def lines_before(ctx: FimContext, count: int) -> list[str]:
    """Up to ``count`` non-blank lines before the cursor line, nearest first."""
    body = ctx.prompt[: len(ctx.prompt) - len(ctx.line_prefix)]
    found: list[str] = []
    # The prompt's header (path, language, snippets) sits above the prefix window.
    for line in reversed(body.split("\n")[ctx.header_lines : -1]):
        if line.strip():
            found.append(line)
            if len(found) == count:
                break
    return found


def lines_after(ctx: FimContext, count: int) -> list[str]:
    """Up to ``count`` non-blank lines after the cursor line, nearest first."""
    found: list[str] = []
    for line in ctx.after.split("\n")[1:]:
        if line.strip():
            found.append(line.rstrip())
            if len(found) == count:
                break
    return found


def cursor_line_indent(ctx: FimContext) -> str:
    """The indentation of the cursor line (all of the text before the cursor when blank)."""
    prefix = ctx.line_prefix
    if not prefix.strip():
        return prefix
    return prefix[: len(prefix) - len(prefix.lstrip(" \t"))]
