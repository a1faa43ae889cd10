"""The document store: open buffers as lists of lines, edited in O(edit), addressed in UTF-16.

pygls's own text documents rebuild the whole text on every change, so a keystroke in a
100k-line file costs tens of milliseconds. Completion needs only the lines around the cursor, so
documents are kept here as a list of lines (without terminators); an edit replaces a slice of that
list, and a UTF-16 position is converted to a code-point column on the one line it names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote, urlparse

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_BREAK_KEPT = re.compile(r"(\r\n|\r|\n)")


@lru_cache(maxsize=1024)
def uri_path(uri: str) -> str:
    """The path part of a URI, for headers and exclude globs (untitled buffers keep their name)."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme in ("file", "") else unquote(parsed.path or uri)


def split_lines(text: str) -> list[str]:
    """Split text into lines without terminators; a trailing newline yields a final empty line."""
    return _LINE_BREAK.split(text)


def detect_eol(text: str) -> str:
    """Return the first line terminator of text, or a line feed when there is none."""
    match = _LINE_BREAK.search(text)
    return match.group(0) if match else "\n"


def utf16_to_col(line: str, utf16_char: int) -> int:
    """Convert a UTF-16 column to a code-point index into line, clamped to the line's end."""
    if utf16_char <= 0:
        return 0
    if line.isascii():
        return min(utf16_char, len(line))
    units = 0
    for index, char in enumerate(line):
        if units >= utf16_char:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > utf16_char:
            # The position points inside a surrogate pair: keep the whole character before it.
            return index
    return len(line)


def col_to_utf16(line: str, col: int) -> int:
    """Convert a code-point index into line to a UTF-16 column."""
    prefix = line[: max(col, 0)]
    if prefix.isascii():
        return len(prefix)
    return sum(2 if ord(char) > 0xFFFF else 1 for char in prefix)


@dataclass(frozen=True)
class Position:
    """A position as a line index and a code-point column, both clamped into the document."""

    line: int
    col: int


def split_with_breaks(text: str) -> tuple[list[str], list[str]]:
    """Lines without terminators, and each line's terminator ("" for the last line)."""
    parts = _LINE_BREAK_KEPT.split(text)
    return parts[0::2], [*parts[1::2], ""]


@dataclass
class Document:
    """One open buffer.

    `breaks[i]` is the terminator of `lines[i]` (`""` for the last line). Editors may mix line
    endings, and an edit can join a CR and an LF into one line break (or split one): the store
    follows that only if it knows each line's own terminator.
    """

    uri: str
    language_id: str
    version: int
    lines: list[str]
    eol: str = "\n"
    breaks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Documents made from bare lines end each line with the document's line ending."""
        if len(self.breaks) != len(self.lines):
            self.breaks = [self.eol] * (len(self.lines) - 1) + [""]

    @classmethod
    def from_text(cls, uri: str, language_id: str, version: int, text: str) -> Document:
        """Create a document from the full text the editor sent."""
        lines, breaks = split_with_breaks(text)
        return cls(uri, language_id, version, lines, detect_eol(text), breaks)

    def clamp(self, line: int, utf16_char: int) -> Position:
        """Turn an LSP position (possibly past the end) into a valid code-point position."""
        if line < 0:
            return Position(0, 0)
        if line >= len(self.lines):
            last = len(self.lines) - 1
            return Position(last, len(self.lines[last]))
        return Position(line, utf16_to_col(self.lines[line], utf16_char))

    def replace(self, start: Position, end: Position, new_text: str) -> None:
        """Replace the text between two clamped positions; costs O(edit) plus a list splice.

        The text is rebuilt from the line before the edit to the line after it, with their
        terminators, and split again: a CR before the edit and an LF after it (or in the new
        text) then become one line break, as they are in the editor.
        """
        if (end.line, end.col) < (start.line, start.col):
            start, end = end, start
        first = max(start.line - 1, 0)
        last = min(end.line + 1, len(self.lines) - 1)
        lines, breaks = self.lines, self.breaks
        before = "".join(lines[i] + breaks[i] for i in range(first, start.line))
        after = "".join(breaks[i] + lines[i + 1] for i in range(end.line, last))
        region = (
            before + lines[start.line][: start.col] + new_text + lines[end.line][end.col :] + after
        )
        new_lines, new_breaks = split_with_breaks(region)
        new_breaks[-1] = breaks[last]
        lines[first : last + 1] = new_lines
        breaks[first : last + 1] = new_breaks

    def set_text(self, text: str) -> None:
        """Replace the whole content (a full-document change)."""
        self.lines, self.breaks = split_with_breaks(text)
        self.eol = detect_eol(text)

    @property
    def text(self) -> str:
        """The whole text with its line terminators (O(file): not for the keystroke path)."""
        return "".join(line + end for line, end in zip(self.lines, self.breaks, strict=True))


@dataclass
class DocumentStore:
    """The open documents, by URI."""

    _documents: dict[str, Document] = field(default_factory=dict)

    def open(self, uri: str, language_id: str, version: int, text: str) -> Document:
        """Record a newly opened document (replacing any earlier copy)."""
        document = Document.from_text(uri, language_id, version, text)
        self._documents[uri] = document
        return document

    def get(self, uri: str) -> Document | None:
        """Return the open document for uri, or None: never read an unopened file from disk."""
        return self._documents.get(uri)

    def close(self, uri: str) -> None:
        """Forget a closed document."""
        self._documents.pop(uri, None)

    def __iter__(self) -> Iterator[Document]:
        """Iterate over the open documents."""
        return iter(list(self._documents.values()))

    def __len__(self) -> int:
        """Return the number of open documents."""
        return len(self._documents)
