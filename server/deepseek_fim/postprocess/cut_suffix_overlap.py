"""Step: what the document already has after the cursor line is not inserted again."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, lines_after
from deepseek_fim.postprocess.open_blocks import closer_needed

# A copy must match this many following lines (or all there are) to count; past the
# suffix window's end the answer's lines cannot be compared and are taken as the copy's rest.
_COMPARED = 3
_FOLLOWING = 200


def cut_suffix_overlap(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Cut the answer where it repeats the lines after the cursor.

    Repairs the model writing on into the code that follows the cursor: its answer ends
    with the next lines of the document (or their closing ``}``/``end``), however many. The
    answer is cut before the first line that starts a run equal to the following lines; a
    trailing ``;``/``,`` difference (``};`` against ``}``) still counts as equal. A run that
    goes on past the suffix window counts when it matched at least three lines.
    An answer that is only the following line(s) shows nothing, unless it is closers that
    the document needs besides those (`open_blocks.closer_needed`).
    """
    following = lines_after(ctx, _FOLLOWING)
    if not following or ("\n" not in candidate.text and ctx.line_prefix.strip()):
        return candidate
    lines = candidate.text.split("\n")
    full = [ctx.line_prefix + lines[0], *lines[1:]]
    for i, line in enumerate(full):
        if not _same(line, following[0]):
            continue
        rest = [x for x in full[i + 1 :] if x.strip()]
        if not all(_same(a, b) for a, b in zip(rest, following[1:], strict=False)):
            continue
        if len(rest) > len(following) - 1 and len(following) < _COMPARED:
            continue  # the answer goes on past what little we can compare: not a copy
        if i == 0:
            if closer_needed(ctx, candidate.text):
                return candidate  # one `}` below, two blocks open: the answer's is needed
            return None  # the whole answer is the lines that follow
        out = "\n".join(lines[:i]).rstrip()
        return replace(candidate, text=out) if out.strip() else None
    return candidate


def _same(answer_line: str, document_line: str) -> bool:
    a, b = answer_line.rstrip(), document_line.rstrip()
    if a == b:
        return True
    if syntax.indent_of(a) != syntax.indent_of(b):
        return False
    return bool(a.strip()) and a.rstrip(";,") == b.rstrip(";,")
