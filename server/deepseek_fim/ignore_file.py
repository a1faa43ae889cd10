"""Per-project ignore files: `.deepseekfimignore`, gitignore syntax, files never sent.

A project lists what must never leave the machine in `.deepseekfimignore` files, like
`.gitignore`: a file in a directory applies to the paths below that directory, and a deeper file
wins over a shallower one (the last matching pattern wins, `!pattern` takes a file back in). The
search goes up from the file's directory to the repository root (the first directory holding
`.git`), or to the filesystem root outside a repository. Patterns are compiled by
`privacy.compile_rules` (file-name patterns unless a slash names a path; case ignored).

These files only add exclusions: a `!pattern` re-includes what an ignore file excluded, never
what the user's `exclude` setting excludes (a cloned repository must not be able to send the
user's `.env`).
"""

from __future__ import annotations

import logging
import os
import posixpath

from deepseek_fim.privacy import ExcludeRule, compile_rules, rules_verdict

logger = logging.getLogger(__name__)

IGNORE_FILE = ".deepseekfimignore"


class IgnoreFiles:
    """Finds and caches the ignore files that apply to a path (re-read when they change)."""

    def __init__(self) -> None:
        """Start with an empty cache."""
        # path of an ignore file -> (mtime_ns, size, rules)
        self._cache: dict[str, tuple[int, int, tuple[ExcludeRule, ...]]] = {}

    def excludes(self, path: str) -> bool:
        """True when the ignore files above `path` (an absolute file path) exclude it."""
        normalized = path.replace("\\", "/")
        if not posixpath.isabs(normalized) and not _has_drive(normalized):
            return False  # untitled buffers and other URIs: no directory to look in
        directories = []
        directory = posixpath.dirname(normalized)
        while True:
            directories.append(directory)
            if os.path.exists(os.path.join(directory, ".git")):
                break
            parent = posixpath.dirname(directory)
            if parent == directory:
                break
            directory = parent
        verdict = None
        for directory in reversed(directories):  # outermost first: deeper files win
            rules = self._rules(os.path.join(directory, IGNORE_FILE))
            if not rules:
                continue
            relative = posixpath.relpath(normalized, directory).lower()
            found = rules_verdict(rules, [relative])
            if found is not None:
                verdict = found
        return verdict is True

    def _rules(self, ignore_path: str) -> tuple[ExcludeRule, ...]:
        try:
            stat = os.stat(ignore_path)
        except OSError:
            self._cache.pop(ignore_path, None)
            return ()
        cached = self._cache.get(ignore_path)
        if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
            return cached[2]
        try:
            with open(ignore_path, encoding="utf-8", errors="replace") as handle:
                rules = compile_rules(handle.read().splitlines())
        except OSError as exc:
            logger.warning("cannot read %s: %s", ignore_path, exc)
            rules = ()
        self._cache[ignore_path] = (stat.st_mtime_ns, stat.st_size, rules)
        return rules


def _has_drive(path: str) -> bool:
    # Windows paths from file URIs look like "/C:/..." (absolute) or "C:/...".
    return len(path) > 2 and path[1] == ":" and path[2] == "/"
