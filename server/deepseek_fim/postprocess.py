"""Model output -> the text to insert at the cursor, or None when nothing is worth showing.

Pure functions of the model's text and the :class:`FimContext` the request was built from:
line mode keeps one line; nothing the document already has after the cursor is inserted again;
block output is trimmed and its first line's indentation made consistent with the cursor line;
empty and repetitive output is dropped.
"""

from __future__ import annotations

import itertools
import logging

from deepseek_fim.context import FimContext

logger = logging.getLogger(__name__)

_PAIRS = {")": "(", "]": "[", "}": "{"}
_OPENERS = frozenset(_PAIRS.values())
_REPEAT_LIMIT = 3
_SUFFIX_LINES_COMPARED = 3


def postprocess(text: str, ctx: FimContext) -> str | None:
    """The text to insert for the model's ``text``, or None to show nothing."""
    out = text.replace("\r\n", "\n").replace("\r", "\n")
    if not out.strip():
        return None
    out = out.split("\n", 1)[0] if ctx.mode == "line" else _cut_suffix_repetition(out, ctx)
    out = _trim_end(out, ctx)
    out = _cut_line_suffix_overlap(out, ctx)
    if ctx.mode == "block":
        out = _fix_first_indent(out, ctx.line_prefix)
    elif ctx.line_prefix[-1:] in (" ", "\t") and ctx.line_prefix.strip():
        out = out.lstrip(" \t")
    if not out.strip() or _is_repetitive(out, ctx):
        return None
    return out


def _trim_end(out: str, ctx: FimContext) -> str:
    if ctx.mode == "block":
        return out.rstrip()
    # A trailing blank before text that follows the cursor may be intended (``a + |b``).
    if not ctx.line_suffix.strip() or ctx.line_suffix[:1].isspace():
        return out.rstrip()
    return out


def _next_suffix_lines(ctx: FimContext) -> list[str]:
    """The first non-empty lines of the suffix after the cursor line, right-stripped."""
    found: list[str] = []
    for raw in ctx.suffix.split("\n")[1:]:
        line = raw.rstrip()
        if line:
            found.append(line)
            if len(found) == _SUFFIX_LINES_COMPARED:
                break
    return found


def _cut_suffix_repetition(out: str, ctx: FimContext) -> str:
    """Cut block output where it starts repeating the lines that follow the cursor."""
    following = _next_suffix_lines(ctx)
    if not following:
        return out
    lines = out.split("\n")
    # Line 0 continues the cursor line: compare the whole line it would make.
    full = [ctx.line_prefix + lines[0], *lines[1:]]
    for i, candidate in enumerate(full):
        if candidate.rstrip() != following[0]:
            continue
        rest = [line.rstrip() for line in full[i + 1 :] if line.strip()]
        if all(a == b for a, b in zip(rest, following[1:], strict=False)):
            return "\n".join(lines[:i])
    return out


def _bracket_debt(text: str) -> int:
    """Unmatched brackets in ``text`` (quoted strings skipped)."""
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
        elif ch in "\"'`":
            quote = ch
        elif ch in _OPENERS:
            stack.append(ch)
        elif ch in _PAIRS:
            if stack and stack[-1] == _PAIRS[ch]:
                stack.pop()
            else:
                unmatched += 1
    return unmatched + len(stack)


def _cut_line_suffix_overlap(out: str, ctx: FimContext) -> str:
    """Drop what the model re-typed of the text already after the cursor on its line."""
    tail = ctx.line_suffix.strip()
    if not tail or not out:
        return out
    head, sep, last = out.rpartition("\n")
    before = ctx.line_prefix if not sep else ""
    stripped = last.rstrip()
    if ctx.mode == "block" and sep and stripped.strip() == tail:
        # The model closed the block on its own line: keep the break so the existing
        # closer lands on that line.
        return head + sep
    # Longest end of the output that is a start of the existing rest of the line.
    for size in range(min(len(tail), len(stripped)), 0, -1):
        overlap = tail[:size]
        if not stripped.endswith(overlap):
            continue
        cut = stripped[: len(stripped) - size]
        debt_kept = _bracket_debt(before + last + ctx.line_suffix)
        debt_cut = _bracket_debt(before + cut + ctx.line_suffix)
        # The whole rest of the line re-typed is a duplicate unless cutting it unbalances
        # brackets (``print(|)`` + ``foo(a)``); a partial overlap must fix a bracket.
        if debt_cut < debt_kept or (size == len(tail) and debt_cut == debt_kept):
            return head + sep + cut
    return out


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _fix_first_indent(out: str, line_prefix: str) -> str:
    """Drop the cursor line's indentation when the model repeated it on its first line."""
    if not line_prefix or line_prefix.strip():
        return out
    lines = out.split("\n")
    first = lines[0]
    if _indent(first) != line_prefix:
        return out
    others = [len(_indent(line)) for line in lines[1:] if line.strip()]
    if others and min(others) > 2 * len(line_prefix):
        return out
    lines[0] = first[len(line_prefix) :]
    return "\n".join(lines)


_MIN_ECHO = 6


def _previous_line(ctx: FimContext) -> str:
    body = ctx.prompt[: len(ctx.prompt) - len(ctx.line_prefix)]
    for line in reversed(body.split("\n")[-4:]):
        if line.strip():
            return line.strip()
    return ""


def _is_repetitive(out: str, ctx: FimContext) -> bool:
    # Output that retypes what stands right before the cursor (the model echoing a suggestion
    # the user just accepted) would double it.
    first = out.split("\n", 1)[0].strip()
    if len(first) >= _MIN_ECHO and ctx.line_prefix.rstrip().endswith(first):
        return True
    # Line 0 continues the cursor line: compare it with its indentation, like the others.
    lines = [line.rstrip() for line in (ctx.line_prefix + out).split("\n")]
    run = 1
    for prev, cur in itertools.pairwise(lines):
        run = run + 1 if cur == prev and cur.strip() else 1
        if run >= _REPEAT_LIMIT:
            return True
    previous = _previous_line(ctx)
    if not previous:
        return False
    content = [line.strip() for line in lines if line.strip()]
    return bool(content) and all(line == previous for line in content)
