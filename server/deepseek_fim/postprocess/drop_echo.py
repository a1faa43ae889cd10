"""Step: the model's echo of the text before the cursor is removed."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import headers, syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate, lines_before

# An echoed word shorter than this could be a real continuation (``x`` + ``x_max``).
_MIN_WORD = 2
_MIN_LINE = 2
# Lines above the cursor an echo may start at, and the least code they must hold: a lone `}`
# or `else` repeated is no evidence of an echo.
_MAX_ECHO_LINES = 8
_MIN_ECHO_CHARS = 8


def drop_echo(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Remove the model's copy of the text before the cursor from the start of the answer.

    Repairs the model restarting the cursor line instead of continuing it: ``def `` +
    ``def parse(self):`` (the line's content), ``    return `` + ``    return x`` (the whole line
    with its indent), ``port = cfg.ge`` + ``cfg.get("port")`` (the word being typed).

    Also the lines above the cursor repeated before the answer (``def add(a, b):`` then the
    body the cursor asked for): two or more of them, or one that is a block header (nothing
    repeats the header of the body it is in), or one followed by the cursor line's text.

    Only the line's whole content or the identifier that ends right at the cursor count as an
    echo: ``price * `` + ``price * qty`` may be meant and is left alone; so is a single
    statement repeated from the line above (``x += 1`` twice). An answer that is nothing but
    the echo is dropped.
    """
    above = _lines_echo(candidate, ctx)
    if above is not None:
        candidate = above
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


def _lines_echo(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """The answer without its copy of the lines above the cursor, or None when it has none."""
    lines = candidate.text.split("\n")
    above = lines_before(ctx, _MAX_ECHO_LINES)
    content = ctx.line_prefix.lstrip(" \t")
    for count in range(min(len(above), len(lines) - 1), 0, -1):
        echoed = above[:count][::-1]  # oldest first, as the answer would repeat them
        if any(a.strip() != b.strip() for a, b in zip(lines, echoed, strict=False)):
            continue
        if sum(len(line.strip()) for line in echoed) < _MIN_ECHO_CHARS:
            continue
        first = lines[count]
        if content.strip():
            if not first.lstrip(" \t").startswith(content):
                continue
            first = first.lstrip(" \t")[len(content) :]
        elif count == 1 and not headers.is_header(echoed[0], ctx.language_id):
            continue  # `x += 1` twice may be meant
        return replace(candidate, text="\n".join([first, *lines[count + 1 :]]))
    return None


def _without(candidate: Candidate, rest: str) -> Candidate | None:
    return replace(candidate, text=rest) if rest.strip() else None
