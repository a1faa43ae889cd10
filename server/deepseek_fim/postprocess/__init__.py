"""Post-processing: the model's text -> what to insert at the cursor (and what it replaces).

A pipeline of small pure steps, each ``(candidate, context) -> candidate | None`` and each in a
module of its own named for the repair it makes. ``None`` means nothing is worth showing; a step
that cannot decide returns the candidate unchanged, because trimming a right answer costs more
than missing a wrong one. The order matters and is listed once, in :data:`STEPS`: first what
depends only on the answer (line endings, fences), then the answer against the text before the
cursor (echo, how many lines, indentation, scope, repetition), last the answer against the text
after it (the following lines, the closers on the cursor line).
"""

from __future__ import annotations

import logging

from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, Step
from deepseek_fim.postprocess.cut_suffix_overlap import cut_suffix_overlap
from deepseek_fim.postprocess.drop_echo import drop_echo
from deepseek_fim.postprocess.keep_lines import keep_lines
from deepseek_fim.postprocess.limit_scope import limit_scope
from deepseek_fim.postprocess.normalize_indentation import normalize_indentation
from deepseek_fim.postprocess.normalize_newlines import normalize_newlines
from deepseek_fim.postprocess.remove_code_fence import remove_code_fence
from deepseek_fim.postprocess.replace_closers import replace_closers
from deepseek_fim.postprocess.tidy_whitespace import tidy_whitespace
from deepseek_fim.postprocess.trim_repetition import trim_repetition

logger = logging.getLogger(__name__)

STEPS: tuple[Step, ...] = (
    normalize_newlines,
    remove_code_fence,
    drop_echo,
    keep_lines,
    normalize_indentation,
    limit_scope,
    trim_repetition,
    tidy_whitespace,
    cut_suffix_overlap,
    replace_closers,
)

__all__ = ["STEPS", "Candidate", "postprocess"]


def postprocess(text: str, ctx: FimContext) -> Candidate | None:
    """The candidate to show for the model's ``text``, or None to show nothing."""
    candidate: Candidate | None = Candidate(text)
    for step in STEPS:
        if candidate is None or not candidate.text.strip():
            return None
        candidate = step(candidate, ctx)
    if candidate is None or not candidate.text.strip():
        return None
    return candidate
