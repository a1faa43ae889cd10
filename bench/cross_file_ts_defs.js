// Ground truth for bench/bench_cross_file.py: what each TypeScript file defines, uses and imports,
// read with the TypeScript compiler API (independent of the server's own outline code).
//
// Usage: node bench/cross_file_ts_defs.js TYPESCRIPT_DIR < files.json > facts.json
//   files.json: a JSON array of absolute paths of .ts files.
//   facts.json: {path: {defs: [[name, line, private]], uses: {line: [name]}, skip: [line],
//   imports: [spec]}}
// defs: functions (each overload), classes and their members (methods, properties, accessors),
//   interfaces and their members, type aliases, enums and their members, and exported consts/lets,
//   at the top level of the file (or of a `declare namespace`/`namespace` block); line = the
//   0-based line of the declaration's first token (after its JSDoc); private: a top-level
//   declaration without `export` (no other file can use it).
// uses: per 0-based line, the identifiers that are not the name being declared there (not a
//   variable, parameter, function, class, member, property-assignment or type-parameter name).
// skip: lines covered by import declarations and `export ... from` re-exports.
// imports: module specifiers of imports, re-exports and dynamic import("...") calls.
"use strict";

const fs = require("fs");
const path = require("path");

const tsDir = process.argv[2];
if (!tsDir) {
  process.stderr.write("usage: node cross_file_ts_defs.js TYPESCRIPT_DIR < files.json\n");
  process.exit(2);
}
const ts = require(path.resolve(tsDir));

function lineOf(sf, pos) {
  return sf.getLineAndCharacterOfPosition(pos).line;
}

function nameText(name) {
  if (!name) return null;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return null;
}

function isExported(node) {
  const mods = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  return !!mods && mods.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function isDeclared(node) {
  const mods = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  return !!mods && mods.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword);
}

function collectDefs(sf, statements, defs, inAmbient) {
  const add = (name, node, top) => {
    const text = nameText(name);
    const hidden = top && !inAmbient && !isExported(node);
    if (text) defs.push([text, lineOf(sf, node.getStart(sf)), hidden]);
  };
  const members = (list) => {
    for (const m of list) {
      if (
        ts.isMethodDeclaration(m) ||
        ts.isPropertyDeclaration(m) ||
        ts.isGetAccessorDeclaration(m) ||
        ts.isSetAccessorDeclaration(m) ||
        ts.isMethodSignature(m) ||
        ts.isPropertySignature(m) ||
        ts.isEnumMember(m)
      ) {
        add(m.name, m, false);
      }
    }
  };
  for (const st of statements) {
    if (ts.isFunctionDeclaration(st)) add(st.name, st, true);
    else if (ts.isClassDeclaration(st)) {
      add(st.name, st, true);
      members(st.members);
    } else if (ts.isInterfaceDeclaration(st)) {
      add(st.name, st, true);
      members(st.members);
    } else if (ts.isTypeAliasDeclaration(st)) {
      add(st.name, st, true);
      if (ts.isTypeLiteralNode(st.type)) members(st.type.members);
    } else if (ts.isEnumDeclaration(st)) {
      add(st.name, st, true);
      members(st.members);
    } else if (ts.isVariableStatement(st) && isExported(st)) {
      for (const decl of st.declarationList.declarations) {
        if (ts.isIdentifier(decl.name)) defs.push([decl.name.text, lineOf(sf, st.getStart(sf)), false]);
      }
    } else if (ts.isModuleDeclaration(st) && st.body && ts.isModuleBlock(st.body)) {
      add(st.name, st, true);
      const ambient = inAmbient || sf.isDeclarationFile || isDeclared(st);
      collectDefs(sf, st.body.statements, defs, ambient);
    }
  }
}

function isDeclarationName(node) {
  const parent = node.parent;
  if (!parent) return false;
  if (ts.isShorthandPropertyAssignment(parent)) return false; // `{ foo }` uses the variable foo
  if (ts.isBindingElement(parent)) return parent.name === node || parent.propertyName === node;
  return ts.isDeclaration(parent) && parent.name === node;
}

function facts(file) {
  const text = fs.readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const defs = [];
  collectDefs(sf, sf.statements, defs, sf.isDeclarationFile);
  const uses = {};
  const skip = new Set();
  const imports = [];
  const visit = (node) => {
    if (
      ts.isImportDeclaration(node) ||
      ts.isImportEqualsDeclaration(node) ||
      (ts.isExportDeclaration(node) && node.moduleSpecifier)
    ) {
      const spec = node.moduleSpecifier;
      if (spec && ts.isStringLiteral(spec)) imports.push(spec.text);
      const first = lineOf(sf, node.getStart(sf));
      const last = lineOf(sf, node.getEnd());
      for (let line = first; line <= last; line++) skip.add(line);
      return;
    }
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      imports.push(node.arguments[0].text);
    }
    if (ts.isIdentifier(node) && !isDeclarationName(node)) {
      const line = lineOf(sf, node.getStart(sf));
      (uses[line] = uses[line] || []).push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { defs, uses, skip: [...skip].sort((a, b) => a - b), imports };
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const out = {};
  for (const file of JSON.parse(input)) out[file] = facts(file);
  process.stdout.write(JSON.stringify(out));
});
