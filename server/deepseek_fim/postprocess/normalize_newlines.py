"""Step: CRLF and lone CR from the model become LF."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate


def normalize_newlines(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Repairs models answering with Windows line endings: editors would show stray CRs."""
    text = candidate.text.replace("\r\n", "\n").replace("\r", "\n")
    return replace(candidate, text=text) if text.strip() else None
