"""Which definitions from other files go into the prompt, under a token budget (pure).

A large module's outline runs to thousands of tokens, so the choice is made definition by
definition, not file by file, in tiers of what the current file most likely needs:

0. the names it imports from a module (``from util import parse``, ``import {parse}``);
1. the members of those names (a class's methods and fields), and top-level names of imported
   modules that the file uses (``util.parse`` anywhere in it);
2. members of imported modules that the file uses (by their name or their parent's); top-level
   names of other open buffers that the file uses;
3. the other public top-level definitions of imported modules;
4. their other public members; used members of other buffers;
5. the public top-level definitions of the other open buffers; 6. their members.

Within a tier the sources take turns, imported modules in import order first, so one huge module
cannot crowd out the rest. A chosen member brings its parent's line (``class User:``), and every
file its one-line heading. The result depends only on the imports, the outlines and the names the
file uses, never on the cursor: consecutive requests get a byte-identical block, which DeepSeek's
prefix cache turns into hits at a tenth of the price.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

from deepseek_fim.languages import comment_line
from deepseek_fim.sources.outline import Definition, public_name
from deepseek_fim.tokens import estimate_line_tokens

logger = logging.getLogger(__name__)

_TIERS = 7


@dataclass(frozen=True)
class Source:
    """One other file that may lend definitions: its outline and how the current file uses it."""

    path: str
    definitions: tuple[Definition, ...]
    imported: bool
    # The names the current file takes from it (empty for a whole-module import).
    names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ContextBlock:
    """The definitions chosen from one file, as the comment lines that go into the prompt."""

    path: str
    lines: tuple[str, ...]
    tokens: int


@dataclass(frozen=True)
class ChosenContext:
    """The context part of a prompt: blocks in a fixed order, and what they cost."""

    blocks: tuple[ContextBlock, ...] = ()

    @property
    def tokens(self) -> int:
        """Estimated tokens of all blocks."""
        return sum(block.tokens for block in self.blocks)

    @cached_property
    def lines(self) -> tuple[str, ...]:
        """Every line of every block, in prompt order (joined once: asked at every keystroke)."""
        return tuple(line for block in self.blocks for line in block.lines)

    @cached_property
    def fingerprint(self) -> int:
        """A hash of the lines, computed once: names this context in the cache-warmth keys."""
        return hash(self.lines)


def heading(path: str, language_id: str) -> str:
    """The comment line that introduces one file's definitions."""
    return comment_line(language_id, f"Definitions in {path}:")


def _tier(source: Source, definition: Definition, used: frozenset[str]) -> int | None:
    name, parent = definition.name, definition.parent
    wanted = definition.public or name == "__init__"
    if parent is None:
        if source.imported and name in source.names:
            return 0  # asked for by name, even a private one
        if not wanted:
            return None
        if source.imported:
            return 1 if name in used else 3
        return 2 if name in used else 5
    asked_for = source.imported and parent in source.names
    if not wanted or not (asked_for or public_name(parent)):
        return None  # a private class's members (even its __init__) are not for other files
    if source.imported:
        return 1 if asked_for else 2 if name in used or parent in used else 4
    return 4 if name in used or parent in used else 6


def choose(
    sources: Sequence[Source],
    used: frozenset[str],
    budget: float,
    language_id: str,
    shown_path: Callable[[str], str] = str,
) -> ChosenContext:
    """Pack the most needed definitions of ``sources`` (in priority order) under ``budget``.

    ``shown_path`` turns a source's path into the one its heading shows.
    """
    if budget <= 0 or not sources:
        return ChosenContext()
    headings = [heading(shown_path(source.path), language_id) for source in sources]
    # (tier, turn within the source's tier, source index, definition index)
    ranked: list[tuple[int, int, int, int]] = []
    for source_index, source in enumerate(sources):
        turns = [0] * _TIERS
        for def_index, definition in enumerate(source.definitions):
            tier = _tier(source, definition, used)
            if tier is None:
                continue
            ranked.append((tier, turns[tier], source_index, def_index))
            turns[tier] += 1
    ranked.sort()
    chosen: list[set[int]] = [set() for _ in sources]
    parents: list[dict[str, int]] = [
        {d.name: i for i, d in enumerate(s.definitions) if d.parent is None} for s in sources
    ]
    remaining = budget
    for _tier_value, _turn, source_index, def_index in ranked:
        source = sources[source_index]
        picked = chosen[source_index]
        if def_index in picked:
            continue
        definition = source.definitions[def_index]
        adding = [def_index]
        parent_index = parents[source_index].get(definition.parent or "")
        has_parent = definition.parent is not None and parent_index is not None
        if has_parent and parent_index is not None and parent_index not in picked:
            adding.append(parent_index)  # a member is read under its class's line
        cost = sum(
            estimate_line_tokens(comment_line(language_id, source.definitions[i].text))
            for i in adding
        )
        if not picked:
            cost += estimate_line_tokens(headings[source_index])
        if cost > remaining:
            if remaining < 4:
                break
            continue
        picked.update(adding)
        remaining -= cost
    blocks = []
    for source, picked, title in zip(sources, chosen, headings, strict=True):
        if not picked:
            continue
        lines = [title]
        lines += [comment_line(language_id, source.definitions[i].text) for i in sorted(picked)]
        tokens = round(sum(estimate_line_tokens(line) for line in lines))
        blocks.append(ContextBlock(source.path, tuple(lines), tokens))
    return ChosenContext(tuple(blocks))
