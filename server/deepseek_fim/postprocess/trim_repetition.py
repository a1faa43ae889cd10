"""Step: a line the model repeats is trimmed, not the whole answer dropped."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, lines_before
from deepseek_fim.postprocess.open_blocks import closer_needed

_LOOP = 3  # the same line (or group of lines) this many times in a row: the model is looping
_MAX_PERIOD = 4  # the longest group of lines looked at for a loop or a trailing copy


def trim_repetition(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Trim lines the model repeats instead of dropping the whole answer.

    Repairs degenerate generation: the model loops on one line or a group of up to four
    (``print('x')`` three times or more, cut back to one copy), ends with a copy of the line or
    group before (the copy is trimmed; an answer of one line written twice keeps one), or
    answers only with a copy of the line above the cursor (dropped).

    Two equal lines inside an answer (``x += 1`` twice, then more code) and closing lines
    (``}``, ``end``) are left alone; so is a closer-only answer equal to the line above when
    the document still needs it (`open_blocks.closer_needed`).
    """
    lines = candidate.text.split("\n")
    # Line 0 continues the cursor line: compare the line it makes, with its indentation.
    full = [(ctx.line_prefix + lines[0]).rstrip(), *(line.rstrip() for line in lines[1:])]
    keep = _loop_start(full)
    if keep is None:
        keep = len(lines) - _trailing_copy(full)
    out = "\n".join(lines[:keep]).rstrip() if keep < len(lines) else candidate.text
    content = [line.strip() for line in (ctx.line_prefix + out).split("\n") if line.strip()]
    above = lines_before(ctx, 1)
    again = bool(content and above) and all(line == above[0].strip() for line in content)
    if again and not closer_needed(ctx, out):
        return None  # only the line above again (a `}`/`end` still needed is not a copy)
    if out == candidate.text:
        return candidate
    return replace(candidate, text=out) if out.strip() else None


def _loop_start(full: list[str]) -> int | None:
    """Where a group of lines repeated `_LOOP` times in a row ends its first copy, or None."""
    for i in range(len(full)):
        for period in range(1, _MAX_PERIOD + 1):
            group = full[i : i + period]
            if len(full) < i + period * _LOOP or not any(line.strip() for line in group):
                continue
            if all(full[i + k * period : i + (k + 1) * period] == group for k in range(_LOOP)):
                return i + period
    return None


def _trailing_copy(full: list[str]) -> int:
    """How many lines at the end copy the group of lines before them (0: none)."""
    for period in range(1, _MAX_PERIOD + 1):
        if len(full) < 2 * period:
            break
        last, previous = full[-period:], full[-2 * period : -period]
        if last != previous or not any(line.strip() for line in last):
            continue
        if all(syntax.is_closer_line(line) or not line.strip() for line in last):
            continue  # closers at the same indent close different blocks
        return period
    return 0
