"""The Python package as a user gets it from a clone: `python -m build`, pip, pipx and uv.

Each test installs into a fresh virtual environment (or a fresh pipx/uv home) and runs both
executables. Dependencies come from PyPI through pip's and uv's caches, so a warm run is quick.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.packaging

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
EXECUTABLES = ("deepseek-fim", "deepseek-fim-ls")


def run(*argv: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files a clone of the repository has (tracked, plus new files not ignored)."""
    files = run(
        "git", "-C", REPO, "ls-files", "--cached", "--others", "--exclude-standard"
    ).splitlines()
    target = tmp_path_factory.mktemp("clone") / "deepseek-fim"
    for name in files:
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def dist(clone: Path) -> Path:
    """`python -m build` in the clone: the sdist, and the wheel built from that sdist."""
    run(sys.executable, "-m", "build", "--outdir", clone / "dist", clone)
    return clone / "dist"


def check_executables(bin_dir: Path) -> None:
    for name in EXECUTABLES:
        assert run(bin_dir / name, "--version").strip() == f"{name} {VERSION}"
        assert f"usage: {name}" in run(bin_dir / name, "--help")


def fresh_venv(path: Path) -> Path:
    run(sys.executable, "-m", "venv", path)
    return path / "bin"


def test_build_gives_a_wheel_and_an_sdist_with_the_package(dist: Path) -> None:
    wheel = dist / f"deepseek_fim-{VERSION}-py3-none-any.whl"
    sdist = dist / f"deepseek_fim-{VERSION}.tar.gz"
    assert sorted(p.name for p in dist.iterdir()) == sorted([wheel.name, sdist.name])
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        entry_points = whl.read(f"deepseek_fim-{VERSION}.dist-info/entry_points.txt").decode()
    assert "deepseek_fim/lsp/main.py" in names
    assert "deepseek_fim/py.typed" in names
    assert "deepseek-fim-ls = deepseek_fim.lsp.main:main" in entry_points
    assert "deepseek-fim = deepseek_fim.cli:main" in entry_points
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    assert {"LICENSE", "README.md", "pyproject.toml", "server/deepseek_fim/cli.py"} <= members


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_built_package_installs_into_a_clean_venv(
    dist: Path, tmp_path: Path, kind: str
) -> None:
    artifact = next(dist.glob("*.whl" if kind == "wheel" else "*.tar.gz"))
    bin_dir = fresh_venv(tmp_path / "venv")
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", artifact)
    check_executables(bin_dir)
    # The installed command runs, not only parses: with no ledger yet, the report says so.
    report = run(bin_dir / "deepseek-fim", "usage", "--json", "--data-dir", tmp_path / "data")
    assert json.loads(report)["ledger"] is None


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pipx and uv, in a venv of their own."""
    bin_dir = fresh_venv(tmp_path_factory.mktemp("tools") / "venv")
    run(bin_dir / "python", "-m", "pip", "install", "--quiet", "pipx", "uv")
    return bin_dir


def test_pipx_install_from_a_clone(clone: Path, tools: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        PIPX_HOME=str(tmp_path / "pipx"),
        PIPX_BIN_DIR=str(tmp_path / "bin"),
        PIPX_MAN_DIR=str(tmp_path / "man"),
    )
    run(tools / "pipx", "install", clone, env=env)
    check_executables(tmp_path / "bin")


def test_uv_tool_install_from_a_clone(clone: Path, tools: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(UV_TOOL_DIR=str(tmp_path / "uv-tools"), UV_TOOL_BIN_DIR=str(tmp_path / "bin"))
    run(tools / "uv", "tool", "install", clone, env=env)
    check_executables(tmp_path / "bin")
