"""Golden post-processing cases: TOML files read and judged by the document after accepting.

A case holds the document with a cursor marker (``║``), the raw model text, and either the whole
expected document after accepting the suggestion or ``dropped = true`` (nothing is shown). The
directory a case sits in names the step it exercises; ``unchanged/`` holds right answers that
must pass through untouched. Used by the unit tests and by ``bench/bench_quality.py``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from deepseek_fim.context import FimContext, build_context
from deepseek_fim.postprocess import Candidate, postprocess

CURSOR = "║"
UNCHANGED = "unchanged"
# Language id -> family: the families a step's cases must span, and the benchmark's columns.
LANGUAGE_FAMILIES = {
    "python": "python",
    "javascript": "js",
    "typescript": "js",
    "vue": "js",
    "lua": "lua",
    "go": "go",
    "rust": "c-like",
    "c": "c-like",
    "java": "c-like",
    "csharp": "c-like",
    "kotlin": "c-like",
    "scala": "c-like",
    "swift": "c-like",
    "css": "css",
    "scss": "css",
    "less": "css",
    "fsharp": "ml",
    "ocaml": "ml",
    "ruby": "ruby/julia",
    "julia": "ruby/julia",
    "yaml": "data",
    "json": "data",
    "toml": "data",
    "markdown": "markdown",
}


@dataclass(frozen=True)
class GoldenCase:
    """One golden case, as read from its file."""

    path: Path
    step: str
    description: str
    language: str
    document: str
    output: str
    expected: str | None  # None: nothing may be shown

    @property
    def family(self) -> str:
        """The case's language family (`LANGUAGE_FAMILIES`; the language itself if unlisted)."""
        return LANGUAGE_FAMILIES.get(self.language, self.language)

    @property
    def prefix(self) -> str:
        """The document before the cursor."""
        return self.document.split(CURSOR, 1)[0]

    @property
    def suffix(self) -> str:
        """The document after the cursor."""
        return self.document.split(CURSOR, 1)[1]


def load_cases(root: Path) -> list[GoldenCase]:
    """Every ``*.toml`` case under ``root``, sorted by path; the directory is the step."""
    cases = []
    for path in sorted(root.rglob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        document = data["document"]
        if document.count(CURSOR) != 1:
            raise ValueError(f"{path}: the document needs exactly one {CURSOR}")
        if ("expected" in data) == bool(data.get("dropped")):
            raise ValueError(f"{path}: give expected or dropped = true")
        cases.append(
            GoldenCase(
                path=path,
                step=path.parent.name,
                description=data["description"],
                language=data.get("language", "python"),
                document=document,
                output=data["output"],
                expected=data.get("expected"),
            )
        )
    return cases


def context_for(case: GoldenCase) -> FimContext:
    """The request context for the case's cursor, built as the server builds it."""
    prefix = case.prefix
    lines = (prefix + case.suffix).split("\n")
    line = prefix.count("\n")
    col = len(prefix) - (prefix.rfind("\n") + 1)
    return build_context(
        lines, line, col, path=f"/project/case.{case.language}", language_id=case.language
    )


def accept(case: GoldenCase, candidate: Candidate) -> str:
    """The document after accepting ``candidate``: its text replaces its range at the cursor."""
    suffix = case.suffix
    if not suffix.startswith(candidate.replace):
        raise ValueError(f"the range covers {candidate.replace!r}, the line has {suffix!r}")
    return case.prefix + candidate.text + suffix[len(candidate.replace) :]


def judge(case: GoldenCase) -> tuple[bool, str | None]:
    """(passed, the document after accepting or None when nothing was shown)."""
    candidate = postprocess(case.output, context_for(case))
    if candidate is None:
        return case.expected is None, None
    document = accept(case, candidate)
    return document == case.expected, document
