#!/usr/bin/env python3
"""Checks wsuscat's module structure against its declared layers, and keeps
the layer map in docs/design.md current.

Why: the crate is a stack. The cabinet format knows nothing of catalogs, the
library nothing of reports or argv, and the commands nothing of each other.
The compiler enforces none of that, so one `use` pointing up, sideways or in
a circle would quietly tie the stack into a knot. CI runs this to stop it.

What it checks, on the graph of files and the paths between them (LAYERS,
bottom to top, is the declaration):
 1. every edge points down or stays inside its layer;
 2. no circle between files (Tarjan's strongly connected components);
 3. the units of `commands` (commands/X.rs or commands/X/) do not use each
    other (any may use commands/mod.rs);
 4. every .rs file under src/ is in a layer and declared by some `mod`;
    src/lib.rs, the crate root, is exempt: it declares and re-exports only;
 5. the block between the layer-map markers in docs/design.md is what this
    script generates (`--write` regenerates it; `--edges` prints the graph).

Containment is not dependency. `mod x;` is no edge. An edge between a module
and its own ancestor or descendant (a mod.rs re-exporting its children,
children using `super::Error` defined in mod.rs, mod.rs calling its children's
helpers) counts for the layer rules but not for circles: Rust makes a parent
and its children one unit (children see the parent's private items), and such
a circle is the ordinary shape of a Rust module. Circles are looked for between
files that are not ancestor and descendant (siblings, cousins), where a circle
means two files that can be neither understood nor moved apart.

How paths are read: comments, strings (raw, byte) and char literals are
stripped, lifetimes kept apart from chars. Every `use` tree and every path in
code, types, generics and attributes (and `#[serde(with = "crate::x")]`) that
starts with crate, self, super, $crate, the library's name (Cargo.toml), a
child module or a name bound by `use` (globs too) resolves to the file of the
deepest module it names; if that module imports or re-exports the item (`use`,
`pub use`, glob), that is followed to the defining file. A `use` of a module
only binds its name: no edge by itself, but every path through the name is.
Calls of macro_rules! macros defined in the crate count. `#[cfg(test)]` code
counts like any other code.

Limits: macro expansions are not read (paths inside a macro body count where
the macro is written); an item reached only through a glob of a crate module
and named bare (`use crate::x::*; Foo`) is not seen; `#[path]` is followed on
out-of-line modules and stops the script inside inline ones.
"""
import argparse
import os
import re
import sys
import tomllib
from bisect import bisect_left
from collections import defaultdict, deque
from pathlib import Path

# The layers, bottom to top: name, path under src/ (a folder ends in "/" and
# then also owns the sibling file "X.rs"), what it holds.
LAYERS = [
    ("error", "error.rs", "typed errors; everything may use it"),
    ("cab", "cab/", "the cabinet format: CFHEADER, CFFOLDER, CFFILE, CFDATA, MSZIP, LZX, writer"),
    ("catalog", "catalog/", "the outer cab, index.xml, package.xml stream, updates, shards, fragments, names, inventory"),
    ("trust", "trust/", "Authenticode signature, integrity/preflight, hashing"),
    ("rules", "rules/", "profiles, built-in profiles, vocabulary, constraints, findings, baseline writer"),
    ("commands", "commands/", "check, verify, info, list, show, diff, install, fetch, generate: one unit each (commands/X.rs or commands/X/)"),
    ("report", "report/", "every output format: human, json, jsonl, csv, cmtrace"),
    ("binary", "bin/", "the wsuscat executable: argv, exit codes, log file, --output, progress bar"),
]
UNIT_LAYERS = {"commands"}  # layers whose units must not use each other
EXEMPT = {"lib.rs"}  # the crate root: declares modules, curates the API
MAP_FILE = "docs/design.md"
BEGIN, END = "<!-- layer-map:begin -->", "<!-- layer-map:end -->"
WRITE_HINT = "run python3 .ci/structure.py --write"

TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<line>//[^\n]*) | (?P<block>/\*)
  | (?P<raw>(?:br|cr|r)(?P<hashes>\#*)")
  | (?P<str>[bc]?"[^"\\]*(?:\\.[^"\\]*)*")
  | (?P<char>b?'(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,6}\}|.))')
  | (?P<life>'[^\W\d]\w*)
  | (?P<id>(?:r\#)?[^\W\d]\w*)
  | (?P<num>\d\w*)
  | (?P<p>::|.)""", re.X | re.S)
BLOCK = re.compile(r"/\*|\*/")
ITEM_KEYWORDS = {"fn", "struct", "enum", "trait", "type", "const", "static", "union"}
ATTR_PATH = re.compile(r"(?:crate|self|super)(?:::\w+)+")
END_TOKEN = ("e", "", -1)


def tokens(src):
    """(kind, text, offset) for each token: 'i' identifier, 's' string
    (contents), 'p' punctuation; comments, chars, lifetimes, numbers dropped."""
    out, i, n = [], 0, len(src)
    while i < n:
        m = TOKEN.match(src, i)
        kind, i = m.lastgroup, m.end()
        if kind == "block":
            depth = 1
            while depth and (b := BLOCK.search(src, i)):
                depth, i = depth + (1 if b.group() == "/*" else -1), b.end()
            i = i if depth == 0 else n
        elif kind == "raw":
            close = '"' + m.group("hashes")
            j = src.find(close, i)
            j = n if j < 0 else j
            out.append(("s", src[i:j], m.start()))
            i = j + len(close)
        elif kind == "str":
            out.append(("s", m.group()[m.group().index('"') + 1:-1], m.start()))
        elif kind == "id":
            out.append(("i", m.group().removeprefix("r#"), m.start()))
        elif kind == "p":
            out.append(("p", m.group(), m.start()))
    return out + [END_TOKEN] * 3


class Facts:
    """What one file says, keyed by module path relative to the file's module."""

    def __init__(self):
        self.mods = []  # (parent, name, #[path] or None, inline)
        self.items = defaultdict(set)
        self.imports = defaultdict(dict)  # name -> (segments, leading ::)
        self.globs = defaultdict(list)
        self.uses = []  # (module, segments, leading ::, glob, line)
        self.paths = []  # (module, segments, leading ::, line)
        self.macros = []  # (name, #[macro_export])
        self.calls = []  # (module, macro name, line)


def use_decl(toks, i):
    """The leaves (segments, leading ::, alias, glob, offset) of the `use`
    whose tree starts at toks[i], and the index after its `;`."""
    leaves = []
    i = use_tree(toks, i, [], False, leaves)
    while toks[i][1] != ";" and toks[i][0] != "e":
        i += 1
    return leaves, i + 1


def use_tree(toks, i, prefix, lead, leaves):
    """Parses the use tree at toks[i] into leaves; returns the next index."""
    segs = list(prefix)
    if toks[i][1] == "::" and not segs:
        lead, i = True, i + 1
    while toks[i][0] != "e":
        kind, text, pos = toks[i]
        if text == "{" and kind == "p":
            i += 1
            while toks[i][1] != "}" and toks[i][0] != "e":
                j = use_tree(toks, i, segs, lead, leaves)
                i = j + (toks[j][1] == ",") if j > i else i + 1
            return i + 1
        if text == "*":
            leaves.append((segs, lead, None, True, pos))
            return i + 1
        if kind != "i":
            return i
        segs, i = segs + [text], i + 1
        if toks[i][1] == "::":
            i += 1
            continue
        alias = None
        if toks[i][1] == "as":
            alias, i = toks[i + 1][1], i + 2
        if segs[-1] == "self" and len(segs) > 1:  # `{self, ..}` in a group
            segs = segs[:-1]
        leaves.append((segs, lead, alias, False, pos))
        return i
    return i


def attribute(toks, i):
    """(index of the closing `]`, texts of the tokens inside) of the attribute whose `[` is toks[i]."""
    depth, j = 0, i
    while toks[j][0] != "e":
        depth += {"[": 1, "]": -1}.get(toks[j][1], 0) if toks[j][0] == "p" else 0
        if depth == 0:
            break
        j += 1
    return j, [t[1] for t in toks[i + 1:j]]


def path_at(toks, i):
    """(segments, leading ::, index after it) of the path that starts at toks[i]."""
    lead = toks[i][1] == "::"
    segs, j = ([], i) if lead else ([toks[i][1]], i + 1)
    while toks[j][1] == "::" and toks[j + 1][0] == "i":
        segs.append(toks[j + 1][1])
        j += 2
    return segs, lead, j


def scan(src):
    """The Facts of one Rust source file: one pass over its tokens, tracking
    the braces to know the current (inline) module and module-level items."""
    toks, f = tokens(src), Facts()
    newlines = [m.start() for m in re.finditer("\n", src)]
    line = lambda pos: bisect_left(newlines, pos) + 1  # noqa: E731
    stack = [((), True)]  # per open brace: (current module, is that module's own scope)
    brace_mod, path_attr, export, attr_end, i = None, None, False, -1, 0
    while toks[i][0] != "e":
        kind, text, pos = toks[i]
        cur, top = stack[-1]
        prev, nxt, after = toks[i - 1][1] if i else "", toks[i + 1], toks[i + 2]
        if kind == "p" and text == "#" and toks[i + 1 + (nxt[1] == "!")][1] == "[":
            attr_end, body = attribute(toks, i + 1 + (nxt[1] == "!"))
            path_attr = body[2] if body[:2] == ["path", "="] and len(body) == 3 else path_attr
            export = export or body == ["macro_export"]
        elif kind == "s" and i < attr_end and ATTR_PATH.fullmatch(text):  # #[serde(with = "crate::x")]
            f.paths.append((cur, text.split("::"), False, line(pos)))
        elif kind == "p" and text in ("{", "}", ";"):
            if text == "{":
                stack.append((brace_mod, True) if brace_mod else (cur, False))
            elif text == "}" and len(stack) > 1:
                stack.pop()
            brace_mod, path_attr, export = None, None, False
        elif kind == "i" and text == "use" and prev != "::":
            leaves, i = use_decl(toks, i + 1)
            for segs, lead, alias, glob, p in leaves:
                f.uses.append((cur, segs, lead, glob, line(p)))
                if glob:
                    f.globs[cur].append((segs, lead))
                elif (alias or segs[-1]) != "_":
                    f.imports[cur].setdefault(alias or segs[-1], (segs, lead))
            continue
        elif kind == "i" and text == "mod" and top and nxt[0] == "i" and after[1] in ("{", ";"):
            inline = after[1] == "{"
            if path_attr and (cur or inline):
                sys.exit(f"structure: #[path] inside an inline module (line {line(pos)}) is not supported")
            f.mods.append((cur, nxt[1], path_attr, inline))
            brace_mod = cur + (nxt[1],) if inline else None
        elif kind == "i" and text == "macro_rules" and nxt[1] == "!" and after[0] == "i":
            f.macros.append((after[1], export))
        elif kind == "i" and top and text in ITEM_KEYWORDS and nxt[0] == "i" and nxt[1] not in ITEM_KEYWORDS:
            f.items[cur].add(after[1] if nxt[1] == "mut" else nxt[1])
        elif kind == "i" and nxt[1] == "!" and prev not in ("::", ".") and after[1] in ("(", "[", "{"):
            f.calls.append((cur, text, line(pos)))
        elif (kind == "i" and prev != "::" and nxt[1] == "::") or (
                kind == "p" and text == "::" and nxt[0] == "i" and toks[i - 1][0] != "i" and prev not in ">)]"):
            segs, lead, j = path_at(toks, i)
            visibility = prev == "in" and toks[i - 2][1] == "("  # pub(in crate::x)
            if len(segs) >= 2 - lead and not visibility:
                f.paths.append((cur, segs, lead, line(pos)))
            i = max(j, i + 1)
            continue
        i += 1
    return f


class Mod:
    """One module: its file, and the names it defines, declares and imports."""

    def __init__(self, file):
        self.file, self.children, self.items = file, set(), set()
        self.imports, self.globs, self.macros = {}, [], {}


class Tree:
    """The crates under src/: their modules, files, and the edges between files."""

    def __init__(self, root):
        self.root = Path(root)
        if not (self.root / "Cargo.toml").is_file():
            sys.exit(f"structure: no Cargo.toml in {self.root}")
        cargo = tomllib.loads((self.root / "Cargo.toml").read_text(encoding="utf-8"))
        self.libname = cargo.get("lib", {}).get("name", cargo["package"]["name"]).replace("-", "_")
        self.files = sorted(p.relative_to(self.root).as_posix() for p in (self.root / "src").rglob("*.rs"))
        self.text = {f: (self.root / f).read_text(encoding="utf-8") for f in self.files}
        self.mods, self.where, self.facts, self.memo, self.problems = {}, {}, {}, {}, []
        for crate, rootfile in crate_roots(self.root, cargo):
            self.load(crate, rootfile)
        for file, facts in self.facts.items():  # #[macro_export] puts a macro at the crate root
            for name, exported in facts.macros:
                if exported:
                    self.mods[(self.where[file][0], ())].macros[name] = file

    def load(self, crate, rootfile):
        """Reads a crate's files from its root down its `mod` declarations."""
        todo = [(rootfile, (), True)]
        while todo:
            file, mpath, owns_dir = todo.pop()
            if file in self.where:
                self.problems.append(f"file {file} is declared by two `mod`s or crates")
                continue
            self.where[file], facts = (crate, mpath), scan(self.text[file])
            self.facts[file], self.mods[(crate, mpath)] = facts, Mod(file)
            for parent, name, attr, inline in facts.mods:
                self.mods[(crate, mpath + parent)].children.add(name)
                key = (crate, mpath + parent + (name,))
                if inline:
                    self.mods[key] = Mod(file)
                    continue
                base = os.path.dirname(file) if owns_dir else file[:-3]
                stem = "/".join((base,) + parent + (name,))
                tries = [stem + ".rs", stem + "/mod.rs"]
                if attr:  # relative to the declaring file's folder; the file then owns its folder
                    tries = [os.path.normpath(os.path.join(os.path.dirname(file), attr))]
                child = next((c for c in tries if c in self.text), None)
                if child is None:
                    self.problems.append(f"file {file} declares `mod {name};` but src has no {' or '.join(tries)}")
                else:
                    todo.append((child, key[1], bool(attr) or child.endswith("/mod.rs")))
            for rel, names in facts.items.items():
                self.mods[(crate, mpath + rel)].items |= names
            for rel, names in facts.imports.items():
                self.mods[(crate, mpath + rel)].imports.update(names)
            for rel, globs in facts.globs.items():
                self.mods[(crate, mpath + rel)].globs += globs

    def absolute(self, crate, mpath, segs, lead):
        """(crate, segments from its root) of a path written in module mpath, or None outside the crates."""
        if segs[0] == self.libname and ("lib", ()) in self.mods:
            return ("lib", tuple(segs[1:]))
        if lead:
            return None
        if segs[0] == "crate":
            return (crate, tuple(segs[1:]))
        k, base = 0, mpath
        while k < len(segs) and segs[k] in ("self", "super"):
            if segs[k] == "super":
                if not base:
                    return None
                base = base[:-1]
            k += 1
        if k:
            return (crate, base + tuple(segs[k:]))
        found = self.lookup(crate, mpath, segs[0])
        return found and (found[0], found[1] + tuple(segs[1:]))

    def lookup(self, crate, mpath, name):
        """Where a bare name in module mpath points (child, item, import or glob), or None; memoized."""
        key = (crate, mpath, name)
        if key not in self.memo:
            self.memo[key] = None  # while in progress: a circle of imports finds nothing
            self.memo[key] = self.find(crate, mpath, name)
        return self.memo[key]

    def find(self, crate, mpath, name):
        m = self.mods.get((crate, mpath))
        if m is None:
            return None
        if name in m.children or name in m.items:
            return (crate, mpath + (name,))
        if name in m.imports:
            return self.absolute(crate, mpath, *m.imports[name])
        for segs, lead in m.globs:
            g = self.absolute(crate, mpath, segs, lead)
            found = g and self.lookup(*g, name)
            if found:
                return found
        return None

    def resolve(self, crate, segs, depth=0):
        """(file, name, names a module) of a crate-absolute path, following re-exports."""
        k = len(segs)
        while (crate, segs[:k]) not in self.mods:
            k -= 1
        m = self.mods[(crate, segs[:k])]
        if k == len(segs):
            return m.file, (segs[-1] if segs else "crate"), True
        name = segs[k]
        if name in m.macros:
            return m.macros[name], name, False
        if name not in m.items and depth < 16:
            found = self.lookup(crate, segs[:k], name)
            if found:
                return self.resolve(found[0], found[1] + segs[k + 1:], depth + 1)
        return m.file, name, False

    def edges(self):
        """{(from file, to file): [(path as written, name, line)]} over every file."""
        edges, macros = defaultdict(list), defaultdict(dict)
        for file, facts in self.facts.items():
            for name, _ in facts.macros:
                macros[self.where[file][0]][name] = file
        for file, facts in sorted(self.facts.items()):
            crate, mpath = self.where[file]

            def add(rel, segs, lead, line, glob=False, binds=False):
                target = self.absolute(crate, mpath + rel, segs, lead)
                if target:
                    to, name, is_mod = self.resolve(*target)
                    if to != file and (glob or not is_mod or not binds):
                        text = "::" * lead + "::".join(segs) + "::*" * glob
                        edges[(file, to)].append((text, "*" if glob and is_mod else name, line))

            for rel, segs, lead, glob, line in facts.uses:
                add(rel, segs, lead, line, glob, binds=True)  # `use` of a module only binds its name
            for rel, segs, lead, line in facts.paths:
                add(rel, segs, lead, line)
            for rel, name, line in facts.calls:
                to = macros[crate].get(name)
                if to and to != file:
                    edges[(file, to)].append((name + "!", name, line))
        return edges

    def contained(self, a, b):
        """Whether one of two files is the other's module ancestor."""
        (ca, pa), (cb, pb) = self.where[a], self.where[b]
        return ca == cb and (pa == pb[:len(pa)] or pb == pa[:len(pb)])


def crate_roots(root, cargo):
    """(crate id, root file) for the library and each binary whose root is in src/."""
    lib = os.path.normpath(cargo.get("lib", {}).get("path", "src/lib.rs"))
    roots = [("lib", lib)] if lib.startswith("src/") and (root / lib).is_file() else []
    bins = [b["path"] for b in cargo.get("bin", []) if "path" in b]
    if cargo["package"].get("autobins", True):
        found = [*(root / "src").glob("bin/*.rs"), *(root / "src").glob("bin/*/main.rs")]
        bins += ["src/main.rs"] + sorted(p.relative_to(root).as_posix() for p in found)
    for b in dict.fromkeys(os.path.normpath(b) for b in bins):
        if b.startswith("src/") and (root / b).is_file():
            roots.append(("bin " + b, b))
    return roots


def layer_of(file):
    """The index in LAYERS of a file (src/...), or None."""
    rel = file.removeprefix("src/")
    for i, (_, path, _) in enumerate(LAYERS):
        if rel == path or path.endswith("/") and (rel.startswith(path) or rel == path[:-1] + ".rs"):
            return i
    return None


def unit_of(file):
    """The command unit (X of commands/X.rs or commands/X/) of a file, or None."""
    i = layer_of(file)
    if i is None or LAYERS[i][0] not in UNIT_LAYERS or not LAYERS[i][1].endswith("/"):
        return None
    first = file.removeprefix("src/" + LAYERS[i][1])
    first = first.split("/")[0] if first != file else "mod.rs"
    return None if first == "mod.rs" else first.removesuffix(".rs")


def describe(uses):
    """`uses a (line 1), b (line 9)`: each path once, at most three."""
    first = {}
    for text, _, line in sorted(uses, key=lambda u: u[2]):
        first.setdefault(text, line)
    said = [f"{text} (line {line})" for text, line in list(first.items())[:3]]
    more = f", and {len(first) - 3} more" if len(first) > 3 else ""
    return "uses " + ", ".join(said) + more


def names(uses):
    return ", ".join(sorted({name for _, name, _ in uses}))


def circles(tree, edges):
    """One 'circle: ...' line per strongly connected set of files (Tarjan)."""
    graph = defaultdict(set)
    for a, b in edges:
        if not tree.contained(a, b) and {a, b}.isdisjoint({"src/" + e for e in EXEMPT}):
            graph[a].add(b)
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def connect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = set()
            while not scc or w != v:
                w = stack.pop()
                on.discard(w)
                scc.add(w)
            if len(scc) > 1:
                sccs.append(scc)

    sys.setrecursionlimit(max(1000, 4 * len(tree.files)))
    for v in sorted(graph):
        if v not in index:
            connect(v)
    out = []
    for scc in sccs:
        path = shortest_circle(graph, scc, min(scc))
        hops = "".join(f" -> {b} ({names(edges[(a, b)])})" for a, b in zip(path, path[1:]))
        tied = f"; all tied: {', '.join(sorted(scc))}" if len(scc) > len(path) - 1 else ""
        out.append(f"circle: {path[0]}{hops}{tied}")
    return sorted(out)


def shortest_circle(graph, scc, start):
    """[start, ..., start]: a shortest circle through start (breadth first)."""
    back, queue = {start: None}, deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v] & scc):
            if w == start:
                path = [v]
                while back[path[-1]]:
                    path.append(back[path[-1]])
                return path[::-1] + [start]
            if w not in back:
                back[w] = v
                queue.append(w)


def check(tree, edges):
    """Every violation of the layer, circle, unit and membership rules."""
    out = []
    for f in tree.files:
        if f.removeprefix("src/") in EXEMPT:
            continue
        if layer_of(f) is None:
            out.append(f"file {f} is in no layer: add it to LAYERS in .ci/structure.py or move it")
        if f not in tree.where:
            out.append(f"file {f} is declared by no `mod`: declare it or delete it")
    for (a, b), uses in sorted(edges.items()):
        la, lb = layer_of(a), layer_of(b)
        if la is None or lb is None or {a, b} & {"src/" + e for e in EXEMPT}:
            continue
        if lb > la:
            out.append(f"upward edge: {a} ({LAYERS[la][0]}) -> {b} ({LAYERS[lb][0]}): {describe(uses)}")
        ua, ub = unit_of(a), unit_of(b)
        if ua and ub and ua != ub:
            out.append(f"sideways edge: {a} -> {b}: command units {ua} and {ub} must not use each other: "
                       f"{describe(uses)}")
    return tree.problems + out + circles(tree, edges)


def layer_map(tree):
    """The Markdown block between the markers: layers top to bottom, with their files."""
    rows = defaultdict(list)
    for f in tree.files:
        if layer_of(f) is not None:
            # No line counts: the map should go stale when a file or its
            # purpose changes, not on every edit.
            rows[layer_of(f)].append((f.removeprefix("src/"), first_doc(tree.text[f])))
    width = max([len(r[0]) for rs in rows.values() for r in rs] + [20])
    intro = [
        "**Layers, top to bottom** (binary first, error last), with every file",
        "under `src/` and the first line of its `//!` doc. Imports point down or",
        "stay inside their layer, never up; the command units in `commands/` never",
        "use each other; no files use each other in a circle. `src/lib.rs` only",
        "declares modules and re-exports. CI checks this with",
        "`python3 .ci/structure.py`; `python3 .ci/structure.py --write`",
        "regenerates this map.",
    ]
    out = [BEGIN, "", *intro, "", "```text"]
    for i in reversed(range(len(LAYERS))):
        name, path, what = LAYERS[i]
        out.append(f"{name} (src/{path}): {what}")
        out += [f"  {rel:<{width}}  {doc}".rstrip() for rel, doc in sorted(rows[i])] or ["  (no files)"]
        out.append("")
    return "\n".join(out[:-1] + ["```", "", END])


def first_doc(text):
    """The first non-empty `//!` line of a file, trimmed to about 100 characters."""
    docs = (s.strip()[3:].strip() for s in text.splitlines() if s.strip().startswith("//!"))
    doc = next((d for d in docs if d), "")
    return doc if len(doc) <= 100 else doc[:99].rstrip() + "…"


def update_doc(text, block):
    """text with its layer-map block replaced by block (appended if absent)."""
    b, e = text.find(BEGIN), text.find(END)
    if (b < 0) != (e < 0) or e < b:
        sys.exit(f"structure: {MAP_FILE} has one layer-map marker without the other")
    if b >= 0:
        return text[:b] + block + text[e + len(END):]
    return text.rstrip("\n") + ("\n\n" if text.strip() else "") + "## Layer map\n\n" + block + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=Path(__file__).resolve().parent.parent, help="the repository (default: ..)")
    ap.add_argument("--write", action="store_true", help=f"regenerate the layer map in {MAP_FILE}")
    ap.add_argument("--edges", action="store_true", help="print every resolved edge")
    args = ap.parse_args(argv)
    tree = Tree(args.root)
    edges = tree.edges()
    if args.edges:
        for (a, b), uses in sorted(edges.items()):
            print(f"{a} -> {b}: {names(uses)}{'  [containment]' if tree.contained(a, b) else ''}")
    problems = check(tree, edges)
    doc = Path(args.root) / MAP_FILE
    text = doc.read_text(encoding="utf-8") if doc.is_file() else ""
    block = layer_map(tree)
    if args.write:
        if update_doc(text, block) != text:
            doc.parent.mkdir(parents=True, exist_ok=True)
            doc.write_text(update_doc(text, block), encoding="utf-8")
            print(f"structure: wrote the layer map in {MAP_FILE}")
    elif BEGIN not in text:
        problems.append(f"{MAP_FILE}'s layer map is missing: {WRITE_HINT}")
    elif update_doc(text, block) != text:
        problems.append(f"{MAP_FILE}'s layer map is stale: {WRITE_HINT}")
    for p in problems:
        print(p)
    verdict = f"{len(problems)} violation{'s' * (len(problems) != 1)}" if problems else "ok"
    print(f"structure: {len(tree.files)} files, {len(edges)} edges, {len(LAYERS)} layers: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
