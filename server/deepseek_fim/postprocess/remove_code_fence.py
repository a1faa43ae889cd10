"""Step: Markdown code fences around (or after) the code are removed."""

from __future__ import annotations

import re
from dataclasses import replace

from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate

_FENCE = re.compile(r"^\s*(```|~~~)[\w+#.-]*\s*$")
# Where fences are the document's own text, they are kept.
_FENCED_LANGUAGES = frozenset(("markdown", "mdx", "rmd", "quarto", "plaintext"))


def remove_code_fence(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Remove Markdown code fences from the answer, keeping the code between them.

    Repairs chat-style answers: the model wraps the code in ```` ```python ```` ... ```` ``` ````
    or closes a fence it never opened.
    """
    if ctx.language_id in _FENCED_LANGUAGES or "```" in ctx.prompt or "```" in ctx.suffix:
        return candidate
    lines = candidate.text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return candidate
    if _FENCE.match(lines[first]):
        lines = lines[first + 1 :]
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            lines = lines[:i]
            break
    text = "\n".join(lines)
    if text == candidate.text:
        return candidate
    return replace(candidate, text=text) if text.strip() else None
