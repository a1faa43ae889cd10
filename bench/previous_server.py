"""The server code of another revision, unpacked from git, for before/after benchmarks.

Benchmarks that compare this tree with `main` (or any ref) in one run import the old code from
the directory this returns (as PYTHONPATH of a subprocess, or of a server they start).
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def previous_tree(ref: str, into: Path) -> Path:
    """`git archive REF -- server` unpacked into `into`; return its `server` directory."""
    archive = into / "previous.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "--", "server"], stdout=out, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "server"
