"""Step: every line of a multi-line answer is indented for the block the cursor is in."""

from __future__ import annotations

import itertools
from dataclasses import replace

from deepseek_fim import headers, syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import (
    Candidate,
    cursor_line_indent,
    lines_after,
    lines_before,
)
from deepseek_fim.postprocess.open_blocks import stands_at_header_column

_DEFAULT_UNIT = 4
_UNIT_SAMPLE = 30


def normalize_indentation(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Indent every line of the answer for the block the cursor is in.

    Repairs indentation the model got wrong relative to the cursor: the cursor line's indent
    repeated on the first line (``    `` + ``    if x:``), a first line at column 0 inside a
    body, every line shifted by one level, the lines after the first indented from column 0
    instead of the cursor's column, or a block written at column 0 after a header in an indented
    line. Tab-indented documents get tabs. When the right column cannot be told from the lines
    around, only the repeated indent is removed. A first line that closes or continues a block
    (``}``, ``end``, ``else``) where the cursor already stands at that block's header column
    gets none added.
    """
    text = candidate.text
    lines = text.split("\n")
    if ctx.line_prefix.strip():
        return _after_code(candidate, ctx, lines)
    prefix = ctx.line_prefix
    if ctx.line_suffix.strip():
        # Typed in front of a line's own text: its indentation after the cursor says nothing of
        # the column the answer starts at, and the lines around are not this line's block.
        return _strip_repeated(candidate, prefix, lines)
    first_indent = syntax.indent_of(lines[0])
    if not first_indent and _dedents_to_cursor(ctx, lines[0]):
        return candidate
    tabs = _uses_tabs(ctx)
    if tabs is None or (not tabs and _has_tabs(prefix, lines)):
        # Tabs mixed with spaces (a tab may be 8 columns there, or 4): no column is reliable.
        return _strip_repeated(candidate, prefix, lines)
    expected = _expected_column(ctx)
    here = syntax.width(prefix)
    if expected is None or expected < here:
        return _strip_repeated(candidate, prefix, lines)
    effective = here + syntax.width(first_indent)
    shift = expected - effective
    first_opens = headers.opens_block(lines[0], ctx.language_id)
    others = [syntax.width(syntax.indent_of(x)) for x in lines[1:] if x.strip()]
    head = _indent(expected - here, tabs) + lines[0].lstrip(" \t")
    if not others:
        return replace(candidate, text=head) if head != lines[0] else candidate
    unit = _indent_unit(ctx)
    only_first = _fits(expected, others[0], first_opens)
    all_lines = _fits(expected, others[0] + shift, first_opens) and min(others) + shift >= 0
    if first_opens and only_first and all_lines:
        # Both read as a body: the one a single indentation step deeper is right.
        only_first = others[0] - expected == unit or others[0] + shift - expected != unit
    if only_first:
        new = [head, *(_shifted(x, 0, tabs) for x in lines[1:])]
    elif all_lines:
        new = [head, *(_shifted(x, shift, tabs) for x in lines[1:])]
    elif not first_opens and others[0] - expected >= unit and min(others) >= others[0]:
        # The first line sits right but the lines after it were pushed one level deeper.
        new = [head, *(_shifted(x, expected - others[0], tabs) for x in lines[1:])]
    elif first_opens and not first_indent and here and _fits(expected, others[0] + here, True):
        # The header's body was indented from column 0, not from the cursor's column.
        new = [head, *(_shifted(x, here, tabs) for x in lines[1:])]
    else:
        return _strip_repeated(candidate, prefix, lines)
    out = "\n".join(new)
    return candidate if out == text else replace(candidate, text=out)


def _uses_tabs(ctx: FimContext) -> bool | None:
    """True when the document indents with tabs, False with spaces, None when it mixes them."""
    # A block comment's ` * ` lines add a space to the tabs: not a mixture.
    code = [x for x in lines_before(ctx, _UNIT_SAMPLE) if not x.lstrip().startswith("*")]
    indents = [x for x in [ctx.line_prefix, *map(syntax.indent_of, code)] if x]
    tabs = any("\t" in x for x in indents)
    if tabs and any(" " in x for x in indents):
        return None
    return tabs


def _has_tabs(prefix: str, lines: list[str]) -> bool:
    return "\t" in prefix or any("\t" in syntax.indent_of(x) for x in lines)


def _indent(column: int, tabs: bool) -> str:
    """Whitespace reaching ``column`` (tabs count as `syntax.width` counts them)."""
    if not tabs:
        return " " * column
    step = syntax.width("\t")
    return "\t" * (column // step) + " " * (column % step)


def _dedents_to_cursor(ctx: FimContext, first: str) -> bool:
    """A closer or ``else`` typed where the cursor stands at its header's column: add nothing."""
    if not (syntax.is_closer_line(first) or syntax.continues_construct(first)):
        return False
    return stands_at_header_column(ctx, syntax.width(ctx.line_prefix))


def _fits(first_column: int, next_column: int, first_opens: bool) -> bool:
    """A body is deeper than its header; a plain statement is followed by no deeper line."""
    return next_column > first_column if first_opens else next_column <= first_column


def _shifted(line: str, shift: int, tabs: bool) -> str:
    """``line`` moved ``shift`` columns, its indentation written in the document's style."""
    if not line.strip():
        return line
    indent = syntax.indent_of(line)
    if not shift:
        return line
    return _indent(max(0, syntax.width(indent) + shift), tabs) + line[len(indent) :]


def _strip_repeated(candidate: Candidate, prefix: str, lines: list[str]) -> Candidate | None:
    """Drop the cursor line's indentation when the model repeated it on its first line."""
    if not prefix or syntax.indent_of(lines[0]) != prefix:
        return candidate
    others = [len(syntax.indent_of(line)) for line in lines[1:] if line.strip()]
    if others and min(others) > 2 * len(prefix):
        return candidate
    return replace(candidate, text="\n".join([lines[0][len(prefix) :], *lines[1:]]))


def _after_code(candidate: Candidate, ctx: FimContext, lines: list[str]) -> Candidate | None:
    """After a header on an indented line, a body the model wrote from column 0 is moved in."""
    here = cursor_line_indent(ctx)
    if len(lines) < 2 or not here or "\t" in here:
        return candidate
    body = [x for x in lines[1:] if x.strip()]
    if not body or not syntax.opens_block(ctx.line_prefix + lines[0]):
        return candidate
    if syntax.is_closer_line(body[0]) or len(syntax.indent_of(body[0])) > len(here):
        return candidate
    if min(len(syntax.indent_of(x)) for x in body) != 0:
        return candidate
    moved = [lines[0], *((here + x if x.strip() else x) for x in lines[1:])]
    return replace(candidate, text="\n".join(moved))


def _expected_column(ctx: FimContext) -> int | None:
    """The column the cursor's empty line should start at, when the lines around tell it."""
    before = lines_before(ctx, 1)
    after = lines_after(ctx, 1)
    if not before:
        return None
    above = syntax.width(syntax.indent_of(before[0]))
    below = syntax.width(syntax.indent_of(after[0])) if after else None
    if syntax.opens_block(before[0]):
        if below is not None and below > above:
            # More than a step deeper, the line below is a continuation, not the body.
            return below if below - above <= _indent_unit(ctx) else None
        if syntax.width(ctx.line_prefix) > above:
            return syntax.width(ctx.line_prefix)  # the editor indented the body already
        return above + _indent_unit(ctx)
    if below is None:
        return None
    if below == above:
        return above
    if below < above and syntax.is_closer_line(after[0]):
        return above
    return None


def _indent_unit(ctx: FimContext) -> int:
    """The document's indentation step: the smallest indent difference between lines above."""
    # A block comment's ` * ` lines sit one column in: not an indentation step.
    code = [x for x in lines_before(ctx, _UNIT_SAMPLE) if not x.lstrip().startswith("*")]
    widths = [syntax.width(syntax.indent_of(x)) for x in code]
    steps = [abs(a - b) for a, b in itertools.pairwise(widths) if a != b]
    return min(steps) if steps else _DEFAULT_UNIT
