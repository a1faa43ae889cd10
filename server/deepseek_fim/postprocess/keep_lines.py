"""Step: how many lines of the answer to keep: the request's mode, confirmed by the answer."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import headers, syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, cursor_line_indent, lines_before

# How far up to look for the lines that enclose the cursor line (non-blank lines).
_ENCLOSING_LINES = 200


def keep_lines(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Keep one line or the whole block, as the request's mode and the answer's shape say.

    Repairs run-ons past the line being written (``open(`` + ``path)`` then a new method)
    without cutting a right multi-line answer to its first line.

    A ``line`` request keeps the first line. A ``next`` request (the cursor ends a finished line)
    keeps the first line, or, when the answer starts with a newline, the one line after it if it
    sits at the cursor line's indentation, closes a block, or dedents out of blocks opened with
    ``:`` (``else:``, or the statement after an ``if`` body; see `_dedent_fits`). A ``block``
    answer whose first line completes the cursor line keeps its following lines only when they
    are a body (deeper than the cursor line), the completed line opens a block, or they are the
    next arms of an ML ``match``. In every mode, a completed line that is a block header
    (`headers.is_header`) followed by its body (or an Allman ``{``) keeps the whole block.
    """
    text = candidate.text
    if "\n" not in text:
        return candidate
    first, _, rest = text.partition("\n")
    following = next((line for line in rest.split("\n") if line.strip()), None)
    if ctx.line_prefix.strip() and first.strip() and _header_with_body(ctx, first, following):
        # In any mode: the completed line opens a block and the answer holds its body. Cut
        # to its first line, a CSS selector or a Kotlin signature would get a lone `{`.
        return candidate
    if ctx.mode == "line":
        return _one_line(candidate, first)
    if ctx.mode == "next":
        if first.strip():
            return _one_line(candidate, first)
        return _next_line(candidate, ctx, rest)
    if not ctx.line_prefix.strip() or not first.strip():
        return candidate  # an empty line, or the answer starts on the next line
    if following is None:
        return _one_line(candidate, first)
    here = syntax.width(cursor_line_indent(ctx))
    completed = ctx.line_prefix + first
    if syntax.width(syntax.indent_of(following)) > here or syntax.opens_block(completed):
        return candidate
    if _next_arm(completed, following, here):
        return candidate
    return _one_line(candidate, first)


def _header_with_body(ctx: FimContext, first: str, following: str | None) -> bool:
    """The completed cursor line is a header and the next line is its body (or its `{`)."""
    if following is None:
        return False
    completed = ctx.line_prefix + first
    if not headers.is_header(completed, ctx.language_id):
        return False
    here = syntax.width(cursor_line_indent(ctx))
    there = syntax.width(syntax.indent_of(following))
    # Allman style (C#, Java, C): the header's `{` on a line of its own at the header's column.
    return there > here or (there == here and following.strip() == "{")


def _next_arm(completed: str, following: str, here: int) -> bool:
    """ML's ``| pattern -> value`` arms: the next arm at the same column continues the match."""
    return (
        completed.lstrip().startswith("|")
        and following.lstrip().startswith("|")
        and syntax.width(syntax.indent_of(following)) == here
    )


def _one_line(candidate: Candidate, first: str) -> Candidate | None:
    return replace(candidate, text=first) if first.strip() else None


def _next_line(candidate: Candidate, ctx: FimContext, rest: str) -> Candidate | None:
    line = next((line for line in rest.split("\n") if line.strip()), None)
    if line is None:
        return None
    here = syntax.width(cursor_line_indent(ctx))
    there = syntax.width(syntax.indent_of(line))
    if there == here or (
        there < here and (syntax.is_closer_line(line) or _dedent_fits(ctx, line, there))
    ):
        # Blank lines the model put before it are kept: they are part of the answer.
        skipped = rest[: rest.index(line)]
        return replace(candidate, text="\n" + skipped + line.rstrip())
    return None


def _dedent_fits(ctx: FimContext, line: str, there: int) -> bool:
    """True when `line` may follow the cursor line at the lower column `there`.

    `there` must be the column of a line that encloses the cursor line, and every block left
    on the way down must have been opened with ``:`` (Python, YAML), where leaving a block
    needs no closer: ``else:`` after an ``if`` body, ``return x`` after a loop's. Not back to
    column 0 (the end of a top-level block: what follows it is a guess) unless the line
    continues the construct (``else``, ``except``).
    """
    if there == 0 and not syntax.continues_construct(line):
        return False
    column = syntax.width(cursor_line_indent(ctx))
    for above in lines_before(ctx, _ENCLOSING_LINES):
        at = syntax.width(syntax.indent_of(above))
        if at >= column:
            continue  # a sibling or a body of one: not enclosing the cursor line
        if not syntax.strip_line_comment(above).rstrip().endswith(":"):
            return False
        if at <= there:
            return at == there
        column = at
    return False
