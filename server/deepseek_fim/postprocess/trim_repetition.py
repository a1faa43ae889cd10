"""Step: a line the model repeats is trimmed, not the whole answer dropped."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, lines_before
from deepseek_fim.postprocess.open_blocks import closer_needed

_LOOP = 3  # the same line this many times in a row: the model is looping


def trim_repetition(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Trim lines the model repeats instead of dropping the whole answer.

    Repairs degenerate generation: the model loops on one line (``print('x')`` three times or
    more, cut back to one), ends with a copy of the line before (the copy is trimmed), or
    answers only with a copy of the line above the cursor (dropped).

    Two equal lines inside an answer (``x += 1`` twice, then more code) and closing lines
    (``}``, ``end``) are left alone; so is a closer-only answer equal to the line above when
    the document still needs it (`open_blocks.closer_needed`).
    """
    lines = candidate.text.split("\n")
    # Line 0 continues the cursor line: compare the line it makes, with its indentation.
    full = [(ctx.line_prefix + lines[0]).rstrip(), *(line.rstrip() for line in lines[1:])]
    keep = len(lines)
    run = 1
    for i in range(1, len(full)):
        same = full[i] == full[i - 1] and bool(full[i].strip())
        run = run + 1 if same else 1
        if run == _LOOP:
            keep = i - 1
            break
    if keep == len(lines) and len(full) > 2:
        last, previous = full[-1], full[-2]
        if last.strip() and last == previous and not syntax.is_closer_line(last):
            keep = len(lines) - 1
    out = "\n".join(lines[:keep]).rstrip() if keep < len(lines) else candidate.text
    content = [line.strip() for line in (ctx.line_prefix + out).split("\n") if line.strip()]
    above = lines_before(ctx, 1)
    again = bool(content and above) and all(line == above[0].strip() for line in content)
    if again and not closer_needed(ctx, out):
        return None  # only the line above again (a `}`/`end` still needed is not a copy)
    if out == candidate.text:
        return candidate
    return replace(candidate, text=out) if out.strip() else None
