"""Step: closers already after the cursor (auto-pairs) are replaced, never doubled."""

from __future__ import annotations

from dataclasses import replace

from deepseek_fim import syntax
from deepseek_fim.context import FimContext
from deepseek_fim.postprocess.candidate import Candidate

_CLOSING = frozenset(")]}\"'`;,")


def replace_closers(candidate: Candidate, ctx: FimContext) -> Candidate | None:
    """Cover the closers after the cursor that the answer already contains.

    Repairs answers that type the closers the editor already auto-inserted after the cursor:
    ``console.log(|)`` + ``a, b);`` would leave ``console.log(a, b);)``.

    The closers and the rest of the cursor line the answer contains are covered by the
    candidate's ``replace`` (the returned range), so the line ends the way the answer wrote it.
    When the answer ends with exactly those characters they are cut from the text instead
    (the range stays empty). A closer the answer needs for its own brackets (``print(|)`` +
    ``foo(a)``) is left in the document. Tolerates a trailing ``;``/``,`` the answer adds. An
    answer that ends with the whole rest of the line inserts it once. Closers behind
    whitespace are not auto-pairs and are never covered.
    """
    suffix = ctx.line_suffix
    tail = suffix.rstrip()
    if not tail.strip() or not candidate.text:
        return candidate
    head, sep, last = candidate.text.rpartition("\n")
    before = "" if sep else ctx.line_prefix
    if sep and last.strip() == tail.strip():
        # The model closed the block on its own line: keep the break, the existing text lands
        # there.
        return replace(candidate, text=head + sep)
    if sep and last.strip() and last.strip().rstrip(";,") == tail.strip().rstrip(";,"):
        # `};` written where the document has `}`: the answer's own line replaces it.
        return replace(candidate, replace=tail)
    written = last.rstrip()
    debt_kept = syntax.bracket_debt(before + written + suffix)
    rest = tail.strip()
    if tail == rest and written.endswith(rest) and len(written) > len(rest):
        # The whole rest of the line retyped (`f(|'😀')` + `x, '😀')`): insert it once.
        cut = written[: len(written) - len(rest)]
        if syntax.bracket_debt(before + cut + suffix) <= debt_kept:
            return replace(candidate, text=head + sep + cut)
    if suffix[:1].isspace():
        # Auto-pairs sit right at the cursor; a closer behind whitespace (the `)` of a call
        # opened lines above, with the cursor typed in front of its indent) is the code's own.
        return candidate
    best: tuple[int, int] | None = None  # (debt, characters replaced)
    for size in range(len(tail), 0, -1):
        covered = tail[:size]
        if any(ch not in _CLOSING and not ch.isspace() for ch in covered):
            continue
        if not _is_subsequence(covered.replace(" ", ""), written):
            continue
        debt = syntax.bracket_debt(before + written + suffix[size:])
        whole_line = size == len(tail) and written.endswith(tail.strip())
        better = debt < debt_kept or (whole_line and debt == debt_kept)
        if better and (best is None or debt < best[0]):
            best = (debt, size)
    if best is None:
        return candidate
    covered = suffix[: best[1]]
    if written.endswith(covered):
        cut = written[: len(written) - len(covered)]
        return replace(candidate, text=head + sep + cut)
    return replace(candidate, replace=covered)


def _is_subsequence(needle: str, haystack: str) -> bool:
    """True when the characters of ``needle`` appear in ``haystack`` in order."""
    it = iter(haystack)
    return all(ch in it for ch in needle)
