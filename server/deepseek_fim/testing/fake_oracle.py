"""The fake's oracle mode: answer a FIM prompt with the true continuation of a known file.

Benchmarks type a real file into an editor; with `oracle_text` set to that file, the fake finds
where the prompt's tail sits in it and answers what really follows: the rest of the line, or at a
line's end the next lines up to a blank line (a block). The server's stop strings then cut it as
they would cut a real model's run-on.
"""

from __future__ import annotations

_TAILS = (400, 200, 100, 50, 25)
_MAX_BLOCK_LINES = 8


def oracle_answer(oracle: str, prompt: str) -> str | None:
    """Return the continuation of `oracle` after the prompt's end, or None if it is not found."""
    position = _locate(oracle, prompt)
    if position is None:
        return None
    rest = oracle[position:]
    line, newline, after = rest.partition("\n")
    if line.strip():
        return line
    block: list[str] = []
    for next_line in after.split("\n")[:_MAX_BLOCK_LINES]:
        if not next_line.strip():
            break
        block.append(next_line)
    return line + newline + "\n".join(block) if block else None


def _locate(oracle: str, prompt: str) -> int | None:
    """The offset in `oracle` just after the longest tail of `prompt` found there (last match)."""
    for size in _TAILS:
        tail = prompt[-size:]
        if not tail:
            return None
        found = oracle.rfind(tail)
        if found >= 0:
            return found + len(tail)
    return None
