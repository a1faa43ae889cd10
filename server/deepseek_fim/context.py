"""The FIM prompt and suffix for a cursor in a document, under token budgets.

The prompt is ``[context][header][prefix window]<cursor>``, then the suffix. DeepSeek's prefix
cache hits only a prompt beginning that is byte-identical to one sent seconds before, counted in
64-token units from token 0, so the prompt is ordered from the most stable part to the least:
the project's context (definitions from other files, chosen by sources/; it changes only when
those files' definitions or this file's imports do), the path header, then the prefix window,
which starts on a line taken from a grid so that consecutive keystrokes in the same region
share everything up to the cursor line. The suffix comes after the prompt and never hits: it
is pure cache-miss cost, so it stops where the cursor's block ends. Only the lines
inside the two windows are read.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from deepseek_fim import modes, syntax
from deepseek_fim.languages import comment_line
from deepseek_fim.tokens import estimate_line_tokens, estimate_tokens_float

logger = logging.getLogger(__name__)

# line: the rest of the cursor line; next: the rest of a finished line, or the line after it;
# block: several lines (a body, a header's block, an empty line's statements).
Mode = modes.Mode

# Window budgets (the settings prefixTokens / suffixTokens): the prefix holds about 50 lines of
# typical code (the enclosing function and what is above it); the suffix about 25. The prefix is
# paid on every request (a miss at each new place, a hit after): 768 on a 32-line grid showed 2.1
# points more of the names a line needs (bench/bench_window_names.py) for 11-15% more of the bill
# on method bodies of long classes (bench/bench_editor_pauses.py --region-set methods).
DEFAULT_PREFIX_TOKENS = 512
DEFAULT_SUFFIX_TOKENS = 256
# A fresh window's start is rounded up to a multiple of this many lines (a third of a window of
# 512 tokens at most), so that nearby cursors share it; the kept start does the rest.
DEFAULT_GRID_LINES = 16
# A window start is kept while the window from it stays under this many times the budget.
KEEP_START_SLACK = 1.25
# How far up a blank cursor line looks for the indentation of the code it belongs to.
_BLOCK_LOOKBACK_LINES = 8
# A single line longer than the whole budget (minified code) is cut by characters.
_CHARS_PER_TOKEN_FLOOR = 2


@dataclass(frozen=True)
class FimContext:
    """What a FIM request needs, plus what post-processing needs to know about the cursor."""

    prompt: str
    suffix: str
    mode: Mode
    line_prefix: str
    line_suffix: str
    prefix_start_line: int
    prompt_tokens: int
    language_id: str = ""
    # Lines at the top of the prompt that are the context and the header, not the document.
    header_lines: int = 0
    # Of which the context from other files (before the two header lines), and its tokens.
    context_lines: int = 0
    context_tokens: int = 0
    # Keys of the prompt beginnings DeepSeek may cache from this request (sources/warmth.py).
    cache_heads: tuple[Hashable, ...] = ()
    # The text after the cursor that post-processing compares an answer with: the suffix, and
    # past the end of the cursor's block the lines the suffix leaves out (never sent).
    after: str = ""


def completion_mode(line_prefix: str, line_suffix: str, language_id: str = "") -> Mode:
    """How much text to ask for, decided from the code around the cursor (see `modes.py`)."""
    return modes.completion_mode(line_prefix, line_suffix, language_id)


def _clamp(lines: Sequence[str], line: int, col: int) -> tuple[int, int, str]:
    count = len(lines)
    if count == 0:
        return 0, 0, ""
    if line < 0:
        return 0, 0, lines[0]
    if line >= count:
        last = lines[count - 1]
        return count - 1, len(last), last
    text = lines[line]
    return line, max(0, min(col, len(text))), text


def _header(path: str, language_id: str) -> list[str]:
    return [
        comment_line(language_id, f"Path: {path}"),
        comment_line(language_id, f"Language: {language_id}"),
    ]


def _prefix_window(
    lines: Sequence[str],
    line: int,
    line_prefix: str,
    budget: float,
    grid: int,
    keep_start: int | None = None,
) -> tuple[int, list[str], float]:
    """Prefix window: its first line (on the grid when the budget cuts), its lines, its cost.

    ``keep_start``: the start of this document's previous window. It is kept while the window
    from it holds no more than ``KEEP_START_SLACK`` times the budget and no less than a fresh
    one, so the prompt's beginning (cached) does not change with the first line that overflows.
    """
    used = estimate_tokens_float(line_prefix)
    keeping = keep_start is not None and 0 <= keep_start <= line
    limit = budget * KEEP_START_SLACK if keeping else budget
    costs: list[float] = []
    total = used
    earliest = line  # the first line of the longest window under the budget
    reach = line  # the same under the limit
    while reach > 0:
        cost = estimate_line_tokens(lines[reach - 1])
        if total + cost > limit:
            break
        total += cost
        costs.append(cost)
        reach -= 1
        if total <= budget:
            earliest = reach
    if earliest == 0:
        start = 0
    else:
        # The window is full: round its start up to the grid so that it moves in steps, not
        # lines. A coarse grid may not lose more than half the window (small budgets): halve
        # it until then.
        fits = line - earliest
        start = min(line, math.ceil(earliest / grid) * grid)
        while grid > 1 and line - start < fits / 2:
            grid //= 2
            start = min(line, math.ceil(earliest / grid) * grid)
    if keeping and keep_start is not None and reach <= keep_start <= start:
        start = keep_start
    count = line - start
    kept = [lines[index] for index in range(start, line)]
    return start, kept, used + sum(costs[:count])


def _block_column(lines: Sequence[str], line: int) -> int:
    """The column of the block the cursor line belongs to (0 at top level).

    The cursor line's indentation, even typed on an otherwise blank line; on a blank line
    without any, the indentation of the code above it.
    """
    for index in range(line, max(-1, line - _BLOCK_LOOKBACK_LINES), -1):
        text = lines[index]
        if index == line and syntax.indent_of(text):
            return syntax.width(syntax.indent_of(text))
        if text.strip():
            return syntax.width(syntax.indent_of(text))
    return 0


# Lines with code after the cursor line that the suffix keeps, by where the cursor is: it
# follows the prompt, so every token of it is billed as a cache miss, and the model needs the
# next few lines (where to stop, what not to repeat), rarely the rest of the block. Inside a
# line the rest of the line says most; at a line's end the next lines say whether the line goes
# on; on a blank line (a body to write) the lines after it bound the body.
SUFFIX_LINES = {"inside": 2, "end": 3, "blank": 6}


def _suffix_lines(lines: Sequence[str], line: int, line_suffix: str) -> int:
    """How many lines with code after the cursor line the suffix keeps (`SUFFIX_LINES`)."""
    if line_suffix.strip():
        return SUFFIX_LINES["inside"]
    if line < len(lines) and lines[line].strip():
        return SUFFIX_LINES["end"]
    return SUFFIX_LINES["blank"]


def _suffix_window(
    lines: Sequence[str], line: int, line_suffix: str, budget: float
) -> tuple[str, float, str]:
    """Suffix window: the rest of the cursor line and the first lines after it, under the budget.

    It keeps the first few lines with code after the cursor line (`_suffix_lines`), and inside
    an indented block it ends with the first line indented less than the cursor's block (its
    closing ``}``/``end``, an ``else:``, the next method's ``def``): the suffix is never cached,
    and past the end of the cursor's block code seldom shapes the completion; that line alone
    says where the block ends. Returns the suffix, its tokens, and the text after the cursor
    that post-processing compares an answer with (`FimContext.after`): the same lines on to
    the end of the cursor's top-level block, which cost nothing since they are not sent.
    """
    parts = [line_suffix]
    used = estimate_tokens_float(line_suffix)
    if used > budget:
        cut = line_suffix[: int(budget * _CHARS_PER_TOKEN_FLOOR)]
        return cut, estimate_tokens_float(cut), cut
    column = _block_column(lines, line) if line + 1 < len(lines) else 0
    wanted = _suffix_lines(lines, line, line_suffix)
    sent: tuple[int, float] | None = None  # (parts, tokens) when the cursor's block ended
    index = line + 1
    count = len(lines)
    while index < count and wanted > 0:
        text = lines[index]
        cost = estimate_line_tokens(text)
        if used + cost > budget:
            break
        parts.append(text)
        used += cost
        index += 1
        if not text.strip():
            continue
        wanted -= 1
        width = syntax.width(syntax.indent_of(text))
        if sent is None and width < column:
            sent = (len(parts), used)
        if column and not width:
            break
    suffix_parts, suffix_tokens = sent or (len(parts), used)
    return "\n".join(parts[:suffix_parts]), suffix_tokens, "\n".join(parts)


def build_context(
    lines: Sequence[str],
    line: int,
    col: int,
    *,
    path: str,
    language_id: str,
    prefix_tokens: int = DEFAULT_PREFIX_TOKENS,
    suffix_tokens: int = DEFAULT_SUFFIX_TOKENS,
    context_lines: Sequence[str] = (),
    grid_lines: int = DEFAULT_GRID_LINES,
    keep_start: int | None = None,
) -> FimContext:
    """Build the FIM prompt and suffix for the cursor at ``(line, col)`` (code points).

    Positions past the end are clamped to the end of the document. ``prefix_tokens`` bounds
    the prefix window, ``suffix_tokens`` the suffix; ``context_lines`` (definitions from other
    files, already chosen under their own budget) and the header are not counted against either.
    ``keep_start``: the ``prefix_start_line`` of the document's previous context; the window
    keeps that start (and may then exceed ``prefix_tokens`` by up to a quarter) until a fresh
    start would give a longer window.
    """
    grid = max(1, grid_lines)
    line, col, text = _clamp(lines, line, col)
    line_prefix, line_suffix = text[:col], text[col:]
    budget = float(max(0, prefix_tokens))

    if estimate_tokens_float(line_prefix) > budget:
        start = line
        keep = int(budget * _CHARS_PER_TOKEN_FLOOR)
        body = line_prefix[len(line_prefix) - keep :] if keep else ""
        body_tokens = estimate_tokens_float(body)
    else:
        start, window, body_tokens = _prefix_window(
            lines, line, line_prefix, budget, grid, keep_start
        )
        body = "\n".join([*window, line_prefix])

    # Most stable first: the context (other files), then this file's header.
    head = [*context_lines, *_header(path, language_id)]
    context_cost = sum(estimate_line_tokens(text) for text in context_lines)
    head_tokens = context_cost + sum(
        estimate_line_tokens(text) for text in head[len(context_lines) :]
    )
    prompt = "\n".join(head) + "\n" + body
    suffix, suffix_tokens_used, after = _suffix_window(
        lines, line, line_suffix, float(max(0, suffix_tokens))
    )
    tokens = head_tokens + body_tokens + suffix_tokens_used
    return FimContext(
        prompt=prompt,
        suffix=suffix,
        after=after,
        mode=completion_mode(line_prefix, line_suffix, language_id),
        line_prefix=line_prefix,
        line_suffix=line_suffix,
        prefix_start_line=start,
        prompt_tokens=round(tokens),
        language_id=language_id,
        header_lines=len(head),
        context_lines=len(context_lines),
        context_tokens=round(context_cost),
    )
