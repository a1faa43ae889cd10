"""Step: how many lines of the answer to keep: the request's mode, confirmed by the answer."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, cursor_line_indent


def keep_lines(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Keep one line or the whole block, as the request's mode and the answer's shape say.

    Repairs run-ons past the line being written (``open(`` + ``path)`` then a new method)
    without cutting a right multi-line answer to its first line.

    A ``line`` request keeps the first line. A ``next`` request (the cursor ends a finished line)
    keeps the first line, or, when the answer starts with a newline, the one line after it if it
    sits at the cursor line's indentation or closes a block. A ``block`` answer whose first line
    completes the cursor line keeps its following lines only when they are a body (deeper than
    the cursor line) or the completed line opens a block.
    """
    text = candidate.text
    if "\n" not in text:
        return candidate
    first, _, rest = text.partition("\n")
    if ctx.mode == "line":
        return _one_line(candidate, first)
    if ctx.mode == "next":
        if first.strip():
            return _one_line(candidate, first)
        return _next_line(candidate, ctx, rest)
    if not ctx.line_prefix.strip() or not first.strip():
        return candidate  # an empty line, or the answer starts on the next line
    following = next((line for line in rest.split("\n") if line.strip()), None)
    if following is None:
        return _one_line(candidate, first)
    here = syntax.width(cursor_line_indent(ctx))
    completed = ctx.line_prefix + first
    if syntax.width(syntax.indent_of(following)) > here or syntax.opens_block(completed):
        return candidate
    return _one_line(candidate, first)


def _one_line(candidate: Candidate, first: str) -> Candidate | None:
    return replace(candidate, text=first) if first.strip() else None


def _next_line(candidate: Candidate, ctx: FimContext, rest: str) -> Candidate | None:
    line = next((line for line in rest.split("\n") if line.strip()), None)
    if line is None:
        return None
    here = syntax.width(cursor_line_indent(ctx))
    there = syntax.width(syntax.indent_of(line))
    if there == here or (there < here and syntax.is_closer_line(line)):
        # Blank lines the model put before it are kept: they are part of the answer.
        skipped = rest[: rest.index(line)]
        return replace(candidate, text="\n" + skipped + line.rstrip())
    return None
