"""The prompt for a cursor: the project's context, the path header, the windows around the cursor.

The completion service asks this room for a prompt; it owns everything that goes into one:
- the context: the outlines of the modules the document imports (resolved among the open buffers
  and, when `read_disk` allows, the workspace's files), then the other open buffers of its
  language, chosen definition by definition under `context_tokens` (ranking.py);
- the prefix window's start, kept per document so that the prompt's cached beginning survives
  the line that overflows the budget (context.py builds the windows).
Excluded files never lend a line. The chosen context is cached per document and changes only
when the document's imports, the names it uses or another file's definitions change.
"""

from __future__ import annotations

import logging
import os
import posixpath
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from deepseek_fim import context
from deepseek_fim.documents import Document, DocumentStore, uri_path
from deepseek_fim.sources.imports import Candidates, candidates
from deepseek_fim.sources.index import DISK_RECHECK_S, FileOutline, SourceIndex
from deepseek_fim.sources.ranking import ChosenContext, Source, choose
from deepseek_fim.sources.warmth import CacheWarmth

logger = logging.getLogger(__name__)

DEFAULT_CONTEXT_TOKENS = 800
# Other open buffers considered beside the imported ones (the most recently edited).
MAX_OTHER_BUFFERS = 20
# How long a privacy verdict is kept before the rules (and ignore files) are asked again.
EXCLUDED_RECHECK_S = 3.0
# How far up from the importing file a module path is looked for on disk.
MAX_DISK_ANCESTORS = 8
# A file outside the workspace shows this many trailing parts of its path in the prompt.
OUTSIDE_PATH_PARTS = 3
_JS_FAMILY = frozenset(
    ("javascript", "javascriptreact", "typescript", "typescriptreact", "vue", "svelte")
)


def language_family(language_id: str) -> str:
    """Languages that import each other's files share a family (TypeScript and JavaScript)."""
    return "js" if language_id in _JS_FAMILY else language_id


@dataclass(frozen=True)
class ContextReport:
    """What context went into the last prompt: for `deepseekFim/status` ("what did it see?")."""

    path: str
    files: tuple[tuple[str, int], ...]
    tokens: int

    def text(self) -> str:
        """One line for a tooltip: the files (shortest unique names) and the tokens."""
        if not self.files:
            return "none (no other open or imported file of this language)"
        names = ", ".join(f"{posixpath.basename(path)} {tokens}" for path, tokens in self.files)
        return f"{names} (≈{self.tokens} tokens, cached while those files do not change)"

    def to_json(self) -> dict[str, object]:
        """The report as JSON for the status payload."""
        return {
            "path": self.path,
            "tokens": self.tokens,
            "files": [{"path": path, "tokens": tokens} for path, tokens in self.files],
        }


# The prefix window of a lean prompt (see `PromptBuilder.build`): about 25 lines above the cursor.
LEAN_PREFIX_TOKENS = 256


class PromptBuilder:
    """Builds FIM prompts from the open documents; told of every open, change and close."""

    def __init__(
        self,
        documents: DocumentStore,
        *,
        excluded: Callable[[str], bool],
        read_disk: bool = False,
        roots: Sequence[str] = (),
    ) -> None:
        """``excluded(path)``: the privacy rules; ``read_disk``: outlines of unopened imports."""
        self._documents = documents
        self.index = SourceIndex(documents)
        self._excluded_rule = excluded
        # path -> (verdict, when it must be asked again)
        self._excluded: dict[str, tuple[bool, float]] = {}
        self.read_disk = read_disk
        self.roots = tuple(roots)
        self._window_starts: dict[str, int] = {}
        self._roots_by_directory: dict[str, str] = {}
        # uri -> (imports and open documents, time) of the last look for files on disk
        self._disk_asked: dict[str, tuple[object, float]] = {}
        # uri -> (key of the inputs, chosen context)
        self._chosen: dict[str, tuple[object, ChosenContext]] = {}
        self.last_context: ContextReport | None = None
        self.warmth = CacheWarmth()

    def configure(
        self, *, excluded: Callable[[str], bool], read_disk: bool, roots: Sequence[str]
    ) -> None:
        """New privacy rules, disk setting or workspace roots: forget what they decided."""
        self._excluded_rule = excluded
        self._excluded.clear()
        self._chosen.clear()
        self._disk_asked.clear()
        self.read_disk = read_disk
        self.roots = tuple(roots)

    # ----- document lifecycle (O(1): the index reads a document again only when needed)

    def opened(self, uri: str) -> None:
        """A document was opened."""
        self.index.opened(uri)

    def changed(self, uri: str) -> None:
        """A document changed."""
        self.index.changed(uri)

    def closed(self, uri: str) -> None:
        """A document was closed."""
        self.index.closed(uri)
        self._window_starts.pop(uri, None)
        self._chosen.pop(uri, None)
        self._disk_asked.pop(uri, None)

    def excluded(self, path: str) -> bool:
        """The privacy rules' verdict for ``path``, asked again every few seconds.

        The rules read `.deepseekfimignore` files, which may change at any time: a verdict is
        kept EXCLUDED_RECHECK_S (spread per path, so that not every path is asked again on the
        same keystroke), and the context's cache key holds the verdicts.
        """
        now = time.monotonic()
        known = self._excluded.get(path)
        if known is not None and now < known[1]:
            return known[0]
        verdict = self._excluded_rule(path)
        spread = (hash(path) % 1000) / 1000
        self._excluded[path] = (verdict, now + EXCLUDED_RECHECK_S * (1 + spread))
        return verdict

    # ----- the prompt

    def build(
        self,
        document: Document,
        line: int,
        col: int,
        *,
        prefix_tokens: int = context.DEFAULT_PREFIX_TOKENS,
        suffix_tokens: int = context.DEFAULT_SUFFIX_TOKENS,
        context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    ) -> context.FimContext:
        """The FIM prompt and suffix for the cursor at ``(line, col)`` (code points).

        The prompt is ``[context][header][prefix window]``, each part kept byte-identical from
        one request to the next so that DeepSeek's cache answers it. While a request with the
        same context and window start went out less than `warmth.CACHE_BUILD_S` ago for the
        first time (a new place: the user starts typing right away), that cache is not built
        yet and the whole prompt would be paid again as a miss: the prompt is then lean, a
        short window under the context if the context is cached already, else under nothing.
        """
        path = uri_path(document.uri)
        shown = self.shown_path(path)
        chosen = self.context_for(document, context_tokens)
        ctx = context.build_context(
            document.lines,
            line,
            col,
            path=shown,
            language_id=document.language_id,
            prefix_tokens=prefix_tokens,
            suffix_tokens=suffix_tokens,
            context_lines=chosen.lines,
            keep_start=self._window_starts.get(document.uri),
        )
        self._window_starts[document.uri] = ctx.prefix_start_line
        context_key = ("context", chosen.fingerprint)
        head_key = ("head", document.uri, ctx.prefix_start_line, context_key)
        if self.warmth.building(head_key):
            keep = not self.warmth.building(context_key)
            if not keep:
                chosen = ChosenContext()
            ctx = replace(
                context.build_context(
                    document.lines,
                    line,
                    col,
                    path=shown,
                    language_id=document.language_id,
                    prefix_tokens=min(prefix_tokens, LEAN_PREFIX_TOKENS),
                    suffix_tokens=suffix_tokens,
                    context_lines=chosen.lines,
                ),
                cache_heads=(context_key,) if keep else (),
            )
        else:
            ctx = replace(ctx, cache_heads=(context_key, head_key))
        self.last_context = ContextReport(
            path, tuple((block.path, block.tokens) for block in chosen.blocks), chosen.tokens
        )
        return ctx

    def context_for(self, document: Document, budget: int) -> ChosenContext:
        """The definitions from other files chosen for this document (cached while unchanged).

        The cache key is what the choice depends on, cheap to compare at every keystroke: this
        document's imports and used names, the other documents' versions and privacy verdicts,
        the budget.
        """
        if budget <= 0:
            return ChosenContext()
        imports = self.index.imports_of(document)
        used = self.index.used_names(document)
        others = tuple(
            (other.uri, other.version, other.language_id, self.excluded(uri_path(other.uri)))
            for other in self._documents
            if other.uri != document.uri
        )
        key = (imports, used, others, budget, document.language_id)
        known = self._chosen.get(document.uri)
        if known is not None and known[0] == key:
            return known[1]
        path = uri_path(document.uri)
        sources = self._sources(document, path)
        chosen = choose(sources, used, budget, document.language_id, self._shown_path(path))
        self._chosen[document.uri] = (key, chosen)
        return chosen

    def _sources(self, document: Document, path: str) -> list[Source]:
        """The files that may lend definitions: imported first (in import order), then others."""
        family = language_family(document.language_id)
        others: dict[str, FileOutline] = {}
        touched: dict[str, int] = {}
        for other in self._documents:
            if other.uri == document.uri or language_family(other.language_id) != family:
                continue
            other_path = uri_path(other.uri)
            if self.excluded(other_path):
                continue
            others[other_path] = self.index.outline_of(other, other_path)
            touched[other_path] = self.index.touched(other.uri)
        imported: list[Source] = []
        taken: set[str] = set()
        for found in self.index.imports_of(document):
            where = candidates(found, path, document.language_id)
            for outline in self._resolve(where, others, path):
                if outline.path in taken or outline.path == path:
                    continue
                taken.add(outline.path)
                imported.append(
                    Source(outline.path, outline.definitions, True, frozenset(found.names))
                )
        recent = sorted((p for p in others if p not in taken), key=lambda p: -touched[p])
        rest = [Source(p, others[p].definitions, False) for p in sorted(recent[:MAX_OTHER_BUFFERS])]
        return imported + rest

    def _resolve(
        self, where: Candidates, others: dict[str, FileOutline], path: str
    ) -> list[FileOutline]:
        matched = [outline for other, outline in others.items() if where.matches(other)]
        if matched or not self.read_disk:
            return matched
        for disk_path in self._disk_candidates(where, path):
            outline = self.index.disk_outline(disk_path)
            if outline is not None and not self.excluded(disk_path):
                matched.append(outline)
        return matched

    # ----- imported files that are not open

    def disk_paths_wanted(self, document: Document) -> list[str]:
        """Paths on disk that this document's unopened imports may name, due for a (re)read.

        Asked at every prompt, so it answers from a cache: the paths are worked out again only
        when the imports or the open documents changed, or DISK_RECHECK_S after the last time.
        """
        if not self.read_disk:
            return []
        path = uri_path(document.uri)
        if not posixpath.isabs(path):
            return []
        imports = self.index.imports_of(document)
        key = (imports, tuple(d.uri for d in self._documents))
        now = time.monotonic()
        known = self._disk_asked.get(document.uri)
        if known is not None and known[0] == key and now - known[1] < DISK_RECHECK_S:
            return []
        self._disk_asked[document.uri] = (key, now)
        open_paths = {uri_path(d.uri) for d in self._documents}
        wanted: list[str] = []
        for found in imports:
            where = candidates(found, path, document.language_id)
            if any(where.matches(p) for p in open_paths if p != path):
                continue
            wanted.extend(p for p in self._disk_candidates(where, path) if self.index.disk_due(p))
        return list(dict.fromkeys(wanted))

    def read_from_disk(self, paths: Sequence[str]) -> list[tuple[str, FileOutline | None]]:
        """Read the outlines of ``paths`` the privacy rules allow (blocking IO: run in a thread).

        An excluded file is recorded as unreadable without being opened.
        """
        allowed = [p for p in paths if not self._excluded_rule(p)]
        refused: list[tuple[str, FileOutline | None]] = [
            (p, None) for p in paths if p not in allowed
        ]
        return self.index.read_from_disk(allowed) + refused

    def store_from_disk(self, results: Sequence[tuple[str, FileOutline | None]]) -> None:
        """Keep outlines read by `read_from_disk` (on the event loop)."""
        if self.index.store_from_disk(results):
            self._chosen.clear()

    def shown_path(self, path: str) -> str:
        """The path of a document as its prompt's header shows it (see `_shown_path`)."""
        return self._shown_path(path)(path)

    def _shown_path(self, importer: str) -> Callable[[str], str]:
        """Paths as the prompt shows them: relative to the workspace (fewer tokens), never whole.

        A file outside the workspace (a library's source, a scratch file) shows the last parts
        of its path below the home directory: the model learns the package, DeepSeek never
        learns the user's name or the layout of their disk.
        """
        roots = self.roots or (self._repository_root(posixpath.dirname(importer)),)
        home = os.path.expanduser("~")

        def shown(path: str) -> str:
            for root in roots:
                if _whole_disk(root):
                    continue  # relative to `/` is the whole path
                if _inside(path, (root,)) and path != root:
                    return posixpath.relpath(path, root)
            return shown_outside(path, home)

        return shown

    def _repository_root(self, directory: str) -> str:
        """The nearest directory holding ``.git`` above ``directory``, else ``directory``."""
        known = self._roots_by_directory.get(directory)
        if known is None:
            known = self._roots_by_directory[directory] = _repository_root(directory)
        return known

    def _disk_candidates(self, where: Candidates, importer: str) -> list[str]:
        roots = self.roots or (self._repository_root(posixpath.dirname(importer)),)
        found = [p for p in where.paths if _inside(p, roots)]
        directory = posixpath.dirname(importer)
        for _ in range(MAX_DISK_ANCESTORS):
            if not _inside(directory + "/", roots):
                break
            found.extend(posixpath.join(directory, suffix) for suffix in where.suffixes)
            parent = posixpath.dirname(directory)
            if parent == directory:
                break
            directory = parent
        return found


def shown_outside(path: str, home: str) -> str:
    """The last `OUTSIDE_PATH_PARTS` parts of ``path`` below ``home``.

    Either separator, and any case of a Windows drive and user folder: e.g.
    ``site-packages/httpx/_client.py``.
    """
    parts = _path_parts(path)
    home_parts = _path_parts(home)
    folded = [part.lower() for part in parts[: len(home_parts)]]
    if home_parts and folded == [part.lower() for part in home_parts]:
        parts = parts[len(home_parts) :]
    return "/".join(parts[-OUTSIDE_PATH_PARTS:])


def _whole_disk(root: str) -> bool:
    """A root that holds the whole disk: ``/``, or a Windows drive (``/c:``)."""
    parts = _path_parts(root)
    return not parts or (len(parts) == 1 and parts[0].endswith(":"))


def _path_parts(path: str) -> list[str]:
    return [part for part in path.replace("\\", "/").split("/") if part]


def _inside(path: str, roots: Sequence[str]) -> bool:
    normalized = posixpath.normpath(path)
    return any(
        normalized == root or normalized.startswith(root.rstrip("/") + "/") for root in roots
    )


def _repository_root(directory: str) -> str:
    current = directory
    for _ in range(32):
        if os.path.exists(posixpath.join(current, ".git")):
            return current
        parent = posixpath.dirname(current)
        if parent == current:
            break
        current = parent
    return directory
