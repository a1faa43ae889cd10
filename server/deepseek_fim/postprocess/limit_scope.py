"""Step: a multi-line answer ends where the code leaves the block it started in."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import headers, syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, cursor_line_indent


def limit_scope(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """End a multi-line answer where the code leaves the block it started in.

    Repairs run-ons: after finishing the body it was asked for, the model goes on with the
    next method, the next function or the rest of the file.

    The block's column is the cursor line's (after a header: the header's, so the body is what
    is deeper). The answer ends before the first line that dedents below it, or, after a header,
    that comes back to it; a line that only closes the block (``}``, ``end``, ``});``) is kept
    as its last line, and ``else``/``except``/``catch`` lines (and ML's ``|`` arms) continue the
    construct; so does
    a header's ``{`` on the line after it (Allman style). Brackets
    tell the same where indentation is flat: the line whose closer takes the bracket depth
    below where the answer started is the last one.
    """
    lines = candidate.text.split("\n")
    if len(lines) < 2 or (ctx.mode == "next" and not lines[0].strip()):
        # A `next` answer is one line after the cursor line, placed by keep_lines already
        # (unless it completed a header with its body: a block).
        return candidate
    completed = ctx.line_prefix + lines[0]
    header = bool(ctx.line_prefix.strip()) and headers.is_header(completed, ctx.language_id)
    allman = header
    if ctx.line_prefix.strip():
        column = syntax.width(cursor_line_indent(ctx))
    else:
        column = syntax.width(ctx.line_prefix + syntax.indent_of(lines[0]))
    # Brackets the answer opens on its first line; those open before the cursor are not its own.
    depth = max(0, syntax.depth_change(lines[0])[1])
    keep = len(lines)
    for i in range(1, len(lines)):
        line = lines[i]
        if not line.strip():
            continue
        at = syntax.width(syntax.indent_of(line))
        lowest, final = syntax.depth_change(line)
        if allman and at == column and line.strip() == "{":
            depth += final  # the header's own `{` on the next line (C#, Java, C)
            allman = False
            continue
        allman = False
        if (syntax.continues_construct(line) or _ml_arm(line, ctx)) and at <= column:
            depth = max(0, depth + final)  # `} else {` closes and reopens the same block
            continue
        if depth + lowest < 0:
            keep = i + 1  # this line closes what was open before the answer: its last line
            break
        depth += final
        if at > column:
            continue
        if at == column and not header:
            continue  # a sibling statement in the same block
        keep = i + 1 if syntax.is_closer_line(line) else i
        break
    out = "\n".join(lines[:keep]).rstrip()
    if out == candidate.text:
        return candidate
    return replace(candidate, text=out) if out.strip() else None


def _ml_arm(line: str, ctx: FimContext) -> bool:
    """An F#/OCaml/Haskell ``| pattern -> value`` arm, which continues its ``match``.

    Arms often sit at the ``match``'s own column, where another line would end the block.
    """
    return ctx.language_id in headers.ML_LANGUAGES and line.lstrip().startswith("|")
