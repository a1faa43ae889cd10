"""Context sources: outlines, imports, the ranking under a budget, the prompt builder."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepseek_fim.documents import DocumentStore
from deepseek_fim.sources.imports import candidates, imports_of
from deepseek_fim.sources.outline import outline
from deepseek_fim.sources.prompt_builder import PromptBuilder, shown_outside
from deepseek_fim.sources.ranking import Source, choose
from deepseek_fim.tokens import estimate_line_tokens


def names(lines: list[str], language_id: str) -> list[tuple[str | None, str]]:
    return [(d.parent, d.name) for d in outline(lines, language_id)]


# ----- outlines


def test_python_outline_keeps_signatures_and_skips_bodies() -> None:
    source = [
        "import os",
        "LIMIT: int = 10",
        "_cache = {}",
        "",
        "@dataclass",
        "class User(Base):",
        '    """A user.',
        "",
        "    def not_a_def(self):  (inside the docstring)",
        '    """',
        "    name: str",
        "    email: str = ''",
        "",
        "    def greet(self, other: 'User',",
        "              loud: bool = False) -> str:",
        "        def helper():",
        "            return 1",
        "        value = helper()",
        "        return value",
        "",
        "async def fetch(url, *, timeout=(1,",
        "        2)):",
        "    pass",
    ]
    found = outline(source, "python")
    assert [(d.parent, d.name, d.kind) for d in found] == [
        (None, "LIMIT", "constant"),
        (None, "_cache", "constant"),
        (None, "User", "class"),
        ("User", "name", "field"),
        ("User", "email", "field"),
        ("User", "greet", "method"),
        (None, "fetch", "function"),
    ]
    greet = found[5]
    assert greet.text == "    def greet(self, other: 'User', loud: bool = False) -> str:"
    assert found[6].text == "async def fetch(url, *, timeout=(1, 2)):"
    assert not found[1].public and found[2].public


def test_lua_outline_reads_module_tables_and_annotations() -> None:
    source = [
        "local util = require('vim.util')",
        "local M = {}",
        "---@class Point",
        "---@field x number",
        "local function private_helper(a)",
        "  local function inner() end",
        "end",
        "function M.distance(p, q)",
        "  return 0",
        "end",
        "M.origin = { x = 0 }",
        "M.scale = function(p, k) return p end",
        "local defaults = {",
        "  width = 80,",
        "  render = function(self) end,",
        "  nested = {",
        "    deep = 1,",
        "  },",
        "}",
        "return M",
    ]
    assert names(source, "lua") == [
        (None, "M"),
        (None, "Point"),
        ("Point", "x"),
        (None, "private_helper"),
        ("M", "distance"),
        ("M", "origin"),
        ("M", "scale"),
        (None, "defaults"),
        ("defaults", "width"),
        ("defaults", "render"),
        ("defaults", "nested"),
    ]
    public = {(d.parent, d.name) for d in outline(source, "lua") if d.public}
    # `local` names stay in the file, except the table it returns; members stay visible.
    assert (None, "private_helper") not in public and (None, "defaults") not in public
    assert {(None, "M"), ("M", "distance"), ("defaults", "render")} <= public


def test_typescript_outline_reads_classes_interfaces_and_exports() -> None:
    source = [
        "import { x } from './x';",
        "/* export function commented() {}",
        "*/",
        "export interface Shape {",
        "  area(): number;",
        "  readonly name?: string;",
        "}",
        "export type Id = string | number;",
        "export enum Color { Red, Green }",
        "export default class Circle implements Shape {",
        "  private radius: number = 1;",
        "  constructor(radius: number) {",
        "    if (radius) { this.radius = radius; }",
        "  }",
        "  area(): number {",
        "    return Math.PI * this.radius ** 2;",
        "  }",
        "}",
        "export const makeCircle = (r: number): Circle => new Circle(r);",
        "export async function load(",
        "  path: string,",
        "): Promise<Circle> {",
        "  const inner = 1;",
        "  return makeCircle(inner);",
        "}",
    ]
    found = outline(source, "typescript")
    assert [(d.parent, d.name) for d in found] == [
        (None, "Shape"),
        ("Shape", "area"),
        ("Shape", "name"),
        (None, "Id"),
        (None, "Color"),
        (None, "Circle"),
        ("Circle", "radius"),
        ("Circle", "constructor"),
        ("Circle", "area"),
        (None, "makeCircle"),
        (None, "load"),
    ]
    assert found[-1].text == "export async function load(path: string,): Promise<Circle> {"
    # In an ES module what is not exported stays in the file.
    local = outline(["const hidden = 1;", "export const shown = 2;"], "typescript")
    assert [(d.name, d.public) for d in local] == [("hidden", False), ("shown", True)]
    script = outline(["const both = 1;", "function seen() {}"], "javascript")
    assert all(d.public for d in script)


def test_go_and_rust_outlines() -> None:
    go = [
        "package geo",
        "type Point struct {",
        "\tX, Y float64",
        "}",
        "func (p *Point) Dist(q Point) float64 {",
        "\treturn 0",
        "}",
        "func New() *Point { return &Point{} }",
        "const Zero = 0",
    ]
    assert names(go, "go") == [
        (None, "Point"),
        ("Point", "X"),
        (None, "Dist"),
        (None, "New"),
        (None, "Zero"),
    ]
    rust = [
        "pub struct Point {",
        "    pub x: f64,",
        "}",
        "impl Point {",
        "    pub fn dist(&self, other: &Point) -> f64 {",
        "        let inner = 1;",
        "        0.0",
        "    }",
        "}",
        "pub enum Shape { Circle, Square }",
        "pub const ORIGIN: Point = Point { x: 0.0 };",
    ]
    assert names(rust, "rust") == [
        (None, "Point"),
        ("Point", "x"),
        (None, "Point"),
        ("Point", "dist"),
        (None, "Shape"),
        (None, "ORIGIN"),
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        # A document's lines hold no line break (documents.split_lines splits on all three).
        st.text(
            alphabet=st.sampled_from("ab(){}[]:=;'\"`#/*-. \tfunctiondefclassexport"), max_size=40
        ),
        max_size=30,
    ),
    st.sampled_from(["python", "lua", "go", "rust", "typescript", "kotlin"]),
)
def test_outline_never_fails_and_stays_one_line_each(lines: list[str], language: str) -> None:
    for definition in outline(lines, language):
        assert "\n" not in definition.text
        assert 0 <= definition.line < len(lines)


# ----- imports


def test_imports_per_language() -> None:
    python = ["from .util import (parse,", "    Config as Cfg)", "import pkg.models as m", "x = 1"]
    assert [(i.spec, i.names, i.alias) for i in imports_of(python, "python")] == [
        (".util", ("parse", "Cfg"), None),
        ("pkg.models", (), "m"),
    ]
    ts = [
        "import Default, { a, type B, c as d } from './lib/thing';",
        "import * as ns from '../ns'",
        "import {",
        "  multi,",
        "} from '@/shared/multi';",
        "const { req } = require('./req');",
    ]
    assert [(i.spec, i.names, i.alias) for i in imports_of(ts, "typescript")] == [
        ("./lib/thing", ("a", "B", "d", "Default"), None),
        ("../ns", (), "ns"),
        ("@/shared/multi", ("multi",), None),
        ("./req", ("req",), None),
    ]
    lua = ["local lsp = require('vim.lsp')", "local x = require 'a.b'.c"]
    assert [(i.spec, i.alias) for i in imports_of(lua, "lua")] == [
        ("vim.lsp", "lsp"),
        ("a.b", "x"),
    ]
    go = ["import (", '\tgeo "example.com/app/geo"', '\t"fmt"', ")"]
    assert [(i.spec, i.alias) for i in imports_of(go, "go")] == [
        ("example.com/app/geo", "geo"),
        ("fmt", "fmt"),
    ]
    rust = ["use crate::shapes::{Circle, Square};", "mod util;", "use std::fmt;"]
    assert [(i.spec, i.names) for i in imports_of(rust, "rust")] == [
        ("crate::shapes", ("Circle", "Square")),
        ("self::util", ()),
        ("std", ("fmt",)),
    ]


def test_candidates_resolve_relative_and_absolute_imports() -> None:
    [relative] = imports_of(["from ..core import run"], "python")
    where = candidates(relative, "/p/pkg/sub/app.py", "python")
    assert where.matches("/p/pkg/core.py") and where.matches("/p/pkg/core/run.py")
    assert not where.matches("/p/pkg/sub/core.py")
    [absolute] = imports_of(["import pkg.core"], "python")
    assert candidates(absolute, "/p/app.py", "python").matches("/elsewhere/pkg/core/__init__.py")
    [ts] = imports_of(["import { a } from './lib/thing.js'"], "typescript")
    assert candidates(ts, "/p/src/app.ts", "typescript").matches("/p/src/lib/thing.ts")
    [package] = imports_of(["import React from 'react'"], "typescript")
    assert not candidates(package, "/p/src/app.ts", "typescript").matches("/p/react.ts")
    [lua] = imports_of(["local u = require('vim.lsp.util')"], "lua")
    assert candidates(lua, "/p/x.lua", "lua").matches("/rt/lua/vim/lsp/util.lua")
    [go] = imports_of(['import "example.com/app/geo"'], "go")
    assert candidates(go, "/p/main.go", "go").matches("/p/app/geo/point.go")
    [rust, *_] = imports_of(["use crate::shapes::Circle;"], "rust")
    assert candidates(rust, "/p/src/main.rs", "rust").matches("/p/src/shapes.rs")


# ----- ranking


def big_module(count: int) -> Source:
    lines = []
    for i in range(count):
        lines += [
            f"class Thing{i}:",
            f"    def method_{i}(self, value: int) -> int:",
            "        pass",
        ]
    lines += ["def wanted(a, b):", "    pass"]
    return Source("big.py", outline(lines, "python"), True, frozenset({"wanted", "Thing7"}))


def test_imported_names_and_their_members_come_first_from_a_large_module() -> None:
    chosen = choose([big_module(400)], frozenset(), 120, "python")
    text = "\n".join(chosen.lines)
    assert "# def wanted(a, b):" in text
    assert "# class Thing7:\n#     def method_7(self, value: int) -> int:" in text
    assert chosen.tokens <= 120


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=2000))
def test_the_budget_is_never_exceeded(budget: int) -> None:
    other = Source("other.py", outline(["def helper(x):", "    pass"] * 50, "python"), False)
    chosen = choose([big_module(100), other], frozenset({"helper"}), budget, "python")
    assert sum(estimate_line_tokens(line) for line in chosen.lines) <= budget + 1


def test_names_used_in_the_file_rank_members_of_unimported_buffers() -> None:
    models = Source(
        "models.py",
        outline(["class User:", "    def email(self): pass", "    def zzz(self): pass"], "python"),
        False,
    )
    filler = Source("filler.py", outline([f"def f{i}(): pass" for i in range(50)], "python"), False)
    chosen = choose([filler, models], frozenset({"User"}), 60, "python")
    text = "\n".join(chosen.lines)
    assert "class User:" in text and "def email(self)" in text


def test_members_of_private_classes_stay_out_unless_imported_by_name() -> None:
    lines = [
        "class _Base:",
        "    def __init__(self, name):",
        "        pass",
        "    def describe(self):",
        "        pass",
        "class Field(_Base):",
        "    def __init__(self, default):",
        "        pass",
    ]
    module = Source("fields.py", outline(lines, "python"), True)
    text = "\n".join(choose([module], frozenset(), 500, "python").lines)
    assert "class Field(_Base):" in text and "def __init__(self, default):" in text
    assert "_Base:" not in text and "__init__(self, name)" not in text
    by_name = Source("fields.py", module.definitions, True, frozenset({"_Base"}))
    text = "\n".join(choose([by_name], frozenset(), 500, "python").lines)
    assert "# class _Base:" in text and "def describe(self):" in text


# ----- the prompt builder


def open_all(store: DocumentStore, builder: PromptBuilder, files: dict[str, str]) -> None:
    for uri, text in files.items():
        language = "python" if uri.endswith(".py") else "lua"
        store.open(uri, language, 1, text)
        builder.opened(uri)


def test_builder_uses_imports_from_open_buffers_and_never_excluded_ones() -> None:
    store = DocumentStore()
    builder = PromptBuilder(store, excluded=lambda path: "secret" in path, roots=("/p",))
    open_all(
        store,
        builder,
        {
            "file:///p/app.py": "from .util import parse\nfrom .secret_keys import key\n\nx = ",
            "file:///p/util.py": "def parse(text: str) -> dict:\n    return {}\n",
            "file:///p/secret_keys.py": "def key() -> str:\n    return 'hunter2'\n",
            "file:///p/notes.lua": "function M.note() end\n",
        },
    )
    app = store.get("file:///p/app.py")
    assert app is not None
    ctx = builder.build(app, 3, 4)
    head = ctx.prompt.split("# Path:")[0]
    assert head == "# Definitions in util.py:\n# def parse(text: str) -> dict:\n"
    assert builder.last_context is not None
    assert [path for path, _ in builder.last_context.files] == ["/p/util.py"]
    # A changed definition reaches the next prompt; a closed buffer leaves it.
    util = store.get("file:///p/util.py")
    assert util is not None
    util.lines[0] = "def parse(text: str, strict: bool) -> dict:"
    util.version += 1
    builder.changed(util.uri)
    assert "strict: bool" in builder.build(app, 3, 4).prompt
    store.close(util.uri)
    builder.closed(util.uri)
    assert "def parse" not in builder.build(app, 3, 4).prompt


def test_context_is_byte_identical_while_typing_in_the_file() -> None:
    store = DocumentStore()
    builder = PromptBuilder(store, excluded=lambda path: False, roots=("/p",))
    open_all(
        store,
        builder,
        {
            "file:///p/app.py": "import util\n\n" + "y = 1\n" * 50,
            "file:///p/util.py": "".join(f"def f{i}(x):\n    pass\n" for i in range(200)),
        },
    )
    app = store.get("file:///p/app.py")
    assert app is not None
    heads = set()
    for line in range(2, 40):
        app.lines[line] = "z = util."
        app.version += 1
        builder.changed(app.uri)
        ctx = builder.build(app, line, 9)
        heads.add("\n".join(ctx.prompt.split("\n")[: ctx.context_lines]))
    assert len(heads) == 1 and next(iter(heads))


def test_builder_reads_unopened_imports_from_disk_inside_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "geometry.py").write_text("def area(w: float, h: float) -> float:\n")
    (tmp_path / "pkg" / "credentials.py").write_text("def password() -> str:\n")
    app_path = tmp_path / "pkg" / "app.py"
    text = "from .geometry import area\nfrom .credentials import password\n"
    store = DocumentStore()
    builder = PromptBuilder(
        store, excluded=lambda path: "credential" in path, read_disk=True, roots=(str(tmp_path),)
    )
    open_all(store, builder, {app_path.as_uri(): text})
    app = store.get(app_path.as_uri())
    assert app is not None
    wanted = builder.disk_paths_wanted(app)
    assert str(tmp_path / "pkg" / "geometry.py") in wanted
    builder.store_from_disk(builder.read_from_disk(wanted))
    prompt = builder.build(app, 2, 0).prompt
    assert "# def area(w: float, h: float) -> float:" in prompt
    assert "password" not in prompt.split("# Path:")[0]
    builder.configure(excluded=lambda path: False, read_disk=False, roots=(str(tmp_path),))
    assert "def area" not in builder.build(app, 2, 0).prompt


def test_a_file_excluded_later_leaves_the_context(monkeypatch: pytest.MonkeyPatch) -> None:
    # An ignore file written while the buffers are open: the next prompts drop the file.
    clock = [100.0]
    monkeypatch.setattr("deepseek_fim.sources.prompt_builder.time.monotonic", lambda: clock[0])
    private: set[str] = set()
    store = DocumentStore()
    builder = PromptBuilder(store, excluded=lambda path: path in private, roots=("/p",))
    open_all(
        store,
        builder,
        {"file:///p/app.py": "import util\n\nx = ", "file:///p/util.py": "def parse(): pass\n"},
    )
    app = store.get("file:///p/app.py")
    assert app is not None
    assert "def parse" in builder.build(app, 2, 4).prompt
    private.add("/p/util.py")
    clock[0] += 7  # past any verdict's lifetime
    assert "def parse" not in builder.build(app, 2, 4).prompt


@pytest.mark.parametrize(
    ("path", "home", "shown"),
    [
        (
            "/home/alice/.venv/lib/python3.12/site-packages/httpx/_client.py",
            "/home/alice",
            "site-packages/httpx/_client.py",
        ),
        ("/home/alice/notes.py", "/home/alice", "notes.py"),
        (
            "/usr/lib/python3.11/collections/__init__.py",
            "/home/alice",
            "python3.11/collections/__init__.py",
        ),
        ("/c:/Users/Alice/scratch/x.ts", "C:\\Users\\alice", "scratch/x.ts"),
        ("Untitled-1", "/home/alice", "Untitled-1"),
    ],
)
def test_a_file_outside_the_workspace_shows_no_home_and_no_whole_path(
    path: str, home: str, shown: str
) -> None:
    assert shown_outside(path, home) == shown


def test_the_header_shows_the_path_in_the_workspace_and_a_library_by_its_last_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = tmp_path / "home" / "work" / "project"
    library = tmp_path / "home" / ".venv" / "lib" / "site-packages" / "geo" / "shapes.py"
    store = DocumentStore()
    builder = PromptBuilder(store, excluded=lambda path: False, roots=(str(project),))
    app_uri = (project / "src" / "app.py").as_uri()
    library_uri = library.as_uri()
    open_all(
        store,
        builder,
        {library_uri: "class Circle:\n    def area(self): pass\n", app_uri: "x = 1\n"},
    )
    for uri, header in [
        (app_uri, "# Path: src/app.py\n"),
        (library_uri, "# Path: site-packages/geo/shapes.py\n"),
    ]:
        document = store.get(uri)
        assert document is not None
        prompt = builder.build(document, 1, 0).prompt
        assert header in prompt
        assert str(tmp_path) not in prompt
    # A workspace opened at the disk's root would make every path whole: it is not a root here.
    builder.configure(excluded=lambda path: False, read_disk=False, roots=("/",))
    app = store.get(app_uri)
    assert app is not None
    assert "# Path: project/src/app.py\n" in builder.build(app, 1, 0).prompt
