"""Step: the model's echo of the text before the cursor is removed."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate

# An echoed word shorter than this could be a real continuation (``x`` + ``x_max``).
_MIN_WORD = 2
_MIN_LINE = 2


def drop_echo(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Remove the model's copy of the text before the cursor from the start of the answer.

    Repairs the model restarting the cursor line instead of continuing it: ``def `` +
    ``def parse(self):`` (the line's content), ``    return `` + ``    return x`` (the whole line
    with its indent), ``port = cfg.ge`` + ``cfg.get("port")`` (the word being typed).

    Only the line's whole content or the identifier that ends right at the cursor count as an
    echo: ``price * `` + ``price * qty`` may be meant and is left alone. An answer that is
    nothing but the echo is dropped.
    """
    text = candidate.text
    content = ctx.line_prefix.lstrip(" \t")
    body = text.lstrip(" \t")
    if len(content.strip()) >= _MIN_LINE and body.startswith(content):
        return _without(candidate, body[len(content) :])
    word = syntax.identifier_tail(ctx.line_prefix)
    if (
        len(word) >= _MIN_WORD
        and any(ch.isalpha() for ch in word)
        and text.startswith(word)
        # cfg.ge + cfg.get: the echo is followed by the rest of the same word.
        and len(text) > len(word)
    ):
        return _without(candidate, text[len(word) :])
    return candidate


def _without(candidate: Candidate, rest: str) -> Candidate | None:
    return replace(candidate, text=rest) if rest.strip() else None
