"""Step: Markdown code fences around (or after) the code are removed."""

from __future__ import annotations

import re
from dataclasses import replace

from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate

# A fence line: three or more backticks or tildes, then an info string (``python``, ``c++``,
# ``lua {linenos=true}``) or nothing.
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})[^`]*$")
# A closing fence glued to the end of the last code line (``return x;```).
_GLUED_CLOSER = re.compile(r"(?<=\S)\s*(`{3,}|~{3,})\s*$")
# A chat-style sentence before the code (``Here is the completed function:``).
_PROSE = re.compile(r"^\s*[A-Z][a-z']*(?: [\w',-]+){2,}[:.!]\s*$")
# Where fences are the document's own text, they are kept.
_FENCED_LANGUAGES = frozenset(("markdown", "mdx", "rmd", "quarto", "plaintext"))


def remove_code_fence(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Remove Markdown code fences from the answer, keeping the code between them.

    Repairs chat-style answers: the model wraps the code in ```` ```python ```` ... ```` ``` ````
    (any number of backticks or tildes, any info string), says what it is first (``Here is the
    code:``), glues the closing fence to its last line, or closes a fence it never opened.
    """
    if ctx.language_id in _FENCED_LANGUAGES or "```" in ctx.prompt or "```" in ctx.after:
        return candidate
    lines = candidate.text.split("\n")
    content = [i for i, line in enumerate(lines) if line.strip()]
    if not content:
        return candidate
    first = content[0]
    opening = next((i for i in content if _FENCE.match(lines[i])), None)
    if opening is not None and all(_PROSE.match(lines[i]) for i in content if i < opening):
        first = opening  # the sentences before the fence are not code
    if _FENCE.match(lines[first]):
        lines = lines[first + 1 :]
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            lines = lines[:i]
            break
        glued = _GLUED_CLOSER.search(line)
        if glued and line.count("`") == len(glued.group(1)):
            lines = [*lines[:i], line[: glued.start()]]
            break
    text = "\n".join(lines)
    if text == candidate.text:
        return candidate
    return replace(candidate, text=text) if text.strip() else None
