"""Step: whitespace at the ends of the answer that would leave the line wrong is removed."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate


def tidy_whitespace(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Trim whitespace at the ends of the answer that would leave the line wrong.

    Repairs trailing spaces and blank lines at the end of an answer, and a leading space
    when the cursor already follows one (``answer = `` + `` 42``).

    A trailing space is kept when text follows the cursor right away (``return |b`` +
    ``a + ``): it separates the insertion from that text.
    """
    text = candidate.text
    if ctx.mode != "line" or not ctx.line_suffix.strip() or ctx.line_suffix[:1].isspace():
        text = text.rstrip()
    prefix = ctx.line_prefix
    if prefix.strip() and prefix[-1:] in (" ", "\t"):
        text = text.lstrip(" \t")
    if text == candidate.text:
        return candidate
    return replace(candidate, text=text) if text.strip() else None
