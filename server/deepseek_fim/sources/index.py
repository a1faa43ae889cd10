"""The outline of every open buffer, and of imported files read from disk, kept per document.

An open or changed document is only marked stale (O(1) on the keystroke path); its outline is
read again the first time another document's prompt needs it, once per version. The imports of
the document being completed are read again only when the lines at its head change. Outlines of
files that are not open come from disk (`load_from_disk`, run off the event loop), re-read when
their modification time changes.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from deepseek_fim.documents import Document, DocumentStore
from deepseek_fim.languages import language_from_path
from deepseek_fim.sources.imports import IMPORT_SCAN_LINES, Import, imports_of
from deepseek_fim.sources.outline import Definition, outline

logger = logging.getLogger(__name__)

# Files larger than this are not read from disk for their outline (generated, vendored).
MAX_DISK_FILE_BYTES = 1_000_000
# How long a disk outline is trusted before its modification time is checked again.
DISK_RECHECK_S = 30.0
# The names a document uses are read from this many of its first lines, at most this often:
# they steer the ranking, and a set that changed at every keystroke would change the prompt.
USED_NAMES_LINES = 5_000
USED_NAMES_REFRESH_S = 10.0
_WORD = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass(frozen=True)
class FileOutline:
    """One file's definitions and the version (open buffers) or mtime (disk) they were read at."""

    path: str
    language_id: str
    definitions: tuple[Definition, ...]
    stamp: int


class SourceIndex:
    """Outlines, imports and used names per document, recomputed only when a document changed."""

    def __init__(self, documents: DocumentStore) -> None:
        """Index the documents of ``documents`` as they are reported opened and changed."""
        self._documents = documents
        self._outlines: dict[str, FileOutline] = {}
        self._imports: dict[str, tuple[int, tuple[Import, ...]]] = {}
        self._used: dict[str, tuple[float, frozenset[str]]] = {}
        # path -> (time checked, outline or None when unreadable/too large)
        self._disk: dict[str, tuple[float, FileOutline | None]] = {}
        # Order of the last edit (or open) per URI: recently edited buffers rank first.
        self._touched: dict[str, int] = {}
        self._clock = 0

    def opened(self, uri: str) -> None:
        """A document was opened: index it lazily."""
        self._outlines.pop(uri, None)
        self._touch(uri)

    def changed(self, uri: str) -> None:
        """A document changed: its outline is read again when next needed."""
        self._touch(uri)

    def closed(self, uri: str) -> None:
        """A document was closed: forget it."""
        self._outlines.pop(uri, None)
        self._imports.pop(uri, None)
        self._used.pop(uri, None)
        self._touched.pop(uri, None)

    def _touch(self, uri: str) -> None:
        self._clock += 1
        self._touched[uri] = self._clock

    def touched(self, uri: str) -> int:
        """When the document was last opened or edited (a counter; higher is more recent)."""
        return self._touched.get(uri, 0)

    def outline_of(self, document: Document, path: str) -> FileOutline:
        """The document's outline at its current version."""
        known = self._outlines.get(document.uri)
        if known is not None and known.stamp == document.version and known.path == path:
            return known
        fresh = FileOutline(
            path,
            document.language_id,
            outline(document.lines, document.language_id),
            document.version,
        )
        self._outlines[document.uri] = fresh
        return fresh

    def imports_of(self, document: Document) -> tuple[Import, ...]:
        """The document's imports, read again only when its head changed."""
        key = hash(tuple(document.lines[:IMPORT_SCAN_LINES])) ^ hash(document.language_id)
        known = self._imports.get(document.uri)
        if known is not None and known[0] == key:
            return known[1]
        found = imports_of(document.lines, document.language_id)
        self._imports[document.uri] = (key, found)
        return found

    def used_names(self, document: Document) -> frozenset[str]:
        """The identifiers the document uses, refreshed at most every USED_NAMES_REFRESH_S."""
        now = time.monotonic()
        known = self._used.get(document.uri)
        if known is not None and now - known[0] < USED_NAMES_REFRESH_S:
            return known[1]
        names = frozenset(_WORD.findall("\n".join(document.lines[:USED_NAMES_LINES])))
        if known is not None and known[1] == names:
            names = known[1]  # the same object: callers may compare by identity
        self._used[document.uri] = (now, names)
        return names

    # ----- files that are not open

    def disk_outline(self, path: str) -> FileOutline | None:
        """The outline read from disk for ``path``, if loaded (never reads here)."""
        known = self._disk.get(path)
        return known[1] if known is not None else None

    def disk_due(self, path: str) -> bool:
        """True when ``path`` was never read, or was read more than DISK_RECHECK_S ago."""
        known = self._disk.get(path)
        return known is None or time.monotonic() - known[0] >= DISK_RECHECK_S

    def read_from_disk(self, paths: Sequence[str]) -> list[tuple[str, FileOutline | None]]:
        """Read the outlines of ``paths`` (blocking IO, no state changed: run it in a thread)."""
        return [(path, _read_outline(path, self.disk_outline(path))) for path in paths]

    def store_from_disk(self, results: Sequence[tuple[str, FileOutline | None]]) -> bool:
        """Keep what `read_from_disk` read; True when an outline changed."""
        changed = False
        now = time.monotonic()
        for path, loaded in results:
            changed = changed or loaded is not self.disk_outline(path)
            self._disk[path] = (now, loaded)
        return changed


def _read_outline(path: str, known: FileOutline | None) -> FileOutline | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if not os.path.isfile(path) or stat.st_size > MAX_DISK_FILE_BYTES:
        return None
    if known is not None and known.stamp == stat.st_mtime_ns:
        return known
    language_id = language_from_path(path) or ""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError as exc:
        logger.info("Could not read %s for its outline: %s", path, exc)
        return None
    lines = text.splitlines()
    return FileOutline(path, language_id, outline(lines, language_id), stat.st_mtime_ns)
