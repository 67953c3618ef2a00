#!/usr/bin/env python3
"""Tests for .ci/structure.py: small synthetic crates in temp dirs, one rule
or one path form each. Run: python3 .ci/test_structure.py"""
import contextlib
import importlib.util
import io
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no .ci/__pycache__ from loading structure.py
HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("structure", HERE / "structure.py")
structure = importlib.util.module_from_spec(spec)
spec.loader.exec_module(structure)

CARGO = '[package]\nname = "wsuscat"\nversion = "0.1.0"\nedition = "2021"\n'
# A clean tree: one folder or file per layer, a facade, a command unit folder, a binary.
BASE = {
    "src/lib.rs": "//! The crate root.\npub mod cab;\npub mod catalog;\npub mod commands;\npub mod error;\n"
                  "pub mod report;\npub mod rules;\npub mod trust;\npub use error::{Error, Result};\n",
    "src/error.rs": "//! Typed errors.\npub struct Error;\npub type Result<T> = std::result::Result<T, Error>;\n",
    "src/cab/mod.rs": "//! Cabinets.\npub mod cabinet;\npub mod folder;\npub use cabinet::Cabinet;\n"
                      "pub use folder::*;\npub const MAX: usize = 1;\n",
    "src/cab/cabinet.rs": "//! CFHEADER.\nuse super::folder::FolderReader;\nuse crate::Error;\n"
                          "pub struct Cabinet { pub r: FolderReader }\npub fn open() -> Result<Cabinet, Error> { todo!() }\n",
    "src/cab/folder.rs": "//! CFFOLDER.\nuse super::MAX;\npub enum Compression { None }\npub struct FolderReader;\n"
                         "pub fn max() -> usize { MAX }\n",
    "src/catalog/mod.rs": "//! The catalog.\nuse crate::cab::Cabinet;\npub struct Catalog { pub cab: Cabinet }\n",
    "src/trust/mod.rs": "//! Trust.\npub fn verify(_: &crate::catalog::Catalog) {}\n",
    "src/rules/mod.rs": "//! Rules.\npub struct Profile;\n",
    "src/commands/mod.rs": "//! Commands.\npub mod check;\npub mod diff;\npub mod list;\npub struct Shared;\n",
    "src/commands/check.rs": "//! check.\nuse super::Shared;\nuse crate::rules::Profile;\npub fn run(_: Shared, _: Profile) {}\n",
    "src/commands/list.rs": "//! list.\npub fn run() {}\n",
    "src/commands/diff/mod.rs": "//! diff.\nmod order;\nmod walk;\npub fn run() { walk::walk() }\n",
    "src/commands/diff/walk.rs": "//! diff's walk.\nuse super::order::sort;\npub fn walk() { sort() }\n",
    "src/commands/diff/order.rs": "//! diff's order.\npub fn sort() {}\n",
    "src/report/mod.rs": "//! Reports.\nuse crate::commands::check;\n"
                         "pub fn print() { check::run(crate::commands::Shared, crate::rules::Profile) }\n",
    "src/bin/wsuscat/main.rs": "//! The executable.\nmod cli;\nfn main() { cli::args(); wsuscat::report::print(); }\n",
    "src/bin/wsuscat/cli.rs": "//! Arguments.\npub fn args() {}\n",
    "docs/design.md": "# Design\n\nSome prose.\n",
}


def make(files=(), cargo=CARGO):
    """A temp dir holding BASE with files laid over it (None deletes one)."""
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    tree = {**BASE, "Cargo.toml": cargo, **dict(files)}
    for path, text in tree.items():
        if text is not None:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text, encoding="utf-8")
    return tmp, root


def run(root, *args):
    """(exit code, stdout) of structure.py's main on root."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = structure.main(["--root", str(root), *args])
    return code, out.getvalue()


def edges(files=(), cargo=CARGO):
    """{(from, to): {names}} of BASE with files."""
    tmp, root = make(files, cargo)
    with tmp:
        return {k: {n for _, n, _ in v} for k, v in structure.Tree(root).edges().items()}


def targets(file, files=(), cargo=CARGO):
    return {b for (a, b) in edges(files, cargo) if a == file}


def probe(code):
    """The edges out of src/report/probe.rs holding code (report may use every layer but binary)."""
    mod = BASE["src/report/mod.rs"] + "pub mod probe;\n"
    return targets("src/report/probe.rs", {"src/report/mod.rs": mod, "src/report/probe.rs": code})


class PathForms(unittest.TestCase):
    def test_plain_use(self):
        self.assertEqual(probe("use crate::cab::folder::FolderReader;\n"), {"src/cab/folder.rs"})

    def test_nested_groups_and_renames(self):
        code = "use crate::{cab::{folder::{Compression as C}, cabinet::Cabinet}, rules::Profile};\n"
        self.assertEqual(probe(code), {"src/cab/folder.rs", "src/cab/cabinet.rs", "src/rules/mod.rs"})

    def test_self_in_group_binds_the_module(self):
        code = "use crate::cab::{self, folder};\nfn f() { cab::cabinet::open(); let _ = folder::max(); }\n"
        self.assertEqual(probe(code), {"src/cab/cabinet.rs", "src/cab/folder.rs"})

    def test_module_alias_is_no_edge_but_paths_through_it_are(self):
        code = "use crate::commands as cmds;\nfn f() { cmds::list::run() }\n"
        self.assertEqual(probe(code), {"src/commands/list.rs"})

    def test_glob(self):
        self.assertEqual(probe("use crate::rules::*;\n"), {"src/rules/mod.rs"})

    def test_pub_use_forms(self):
        code = ("pub use crate::rules::Profile;\npub(crate) use crate::trust::verify;\n"
                "pub(super) use crate::commands::list::run;\n")
        self.assertEqual(probe(code), {"src/rules/mod.rs", "src/trust/mod.rs", "src/commands/list.rs"})

    def test_super_self_and_super_super(self):
        code = "mod inner;\nuse super::print;\nuse super::super::rules::Profile;\nuse self::inner::Thing;\n"
        files = {"src/report/mod.rs": BASE["src/report/mod.rs"] + "pub mod probe;\n",
                 "src/report/probe.rs": code, "src/report/probe/inner.rs": "pub struct Thing;\n"}
        self.assertEqual(targets("src/report/probe.rs", files),
                         {"src/report/mod.rs", "src/rules/mod.rs", "src/report/probe/inner.rs"})

    def test_inline_paths_in_code_types_generics_attributes(self):
        code = ("#[crate::trust::attr]\nfn f(v: Vec<crate::cab::folder::Compression>) -> crate::rules::Profile {\n"
                "    let _ = super::super::cab::cabinet::open();\n    crate::rules::Profile {}\n}\n"
                "#[derive(Debug)]\nstruct S { #[serde(with = \"crate::catalog::serde_it\")] x: u8 }\n")
        self.assertEqual(probe(code), {"src/trust/mod.rs", "src/cab/folder.rs", "src/rules/mod.rs",
                                       "src/cab/cabinet.rs", "src/catalog/mod.rs"})

    def test_visibility_path_is_no_use(self):
        self.assertEqual(probe("pub(in crate::report) fn f(_: crate::rules::Profile) {}\n"), {"src/rules/mod.rs"})

    def test_inline_module_is_part_of_its_file(self):
        code = ("mod tests {\n    use super::*;\n    use crate::trust::verify;\n    fn t() { super::helper() }\n}\n"
                "fn helper() {}\n")
        self.assertEqual(probe(code), {"src/trust/mod.rs"})

    def test_library_name_from_binary(self):
        main = "//! x\nmod cli;\nuse wsuscat::cab::Cabinet;\nfn main() { ::wsuscat::trust::verify(); crate::cli::args() }\n"
        self.assertEqual(targets("src/bin/wsuscat/main.rs", {"src/bin/wsuscat/main.rs": main}),
                         {"src/cab/cabinet.rs", "src/trust/mod.rs", "src/bin/wsuscat/cli.rs"})

    def test_library_name_read_from_cargo_toml(self):
        cargo = CARGO.replace('"wsuscat"', '"wsus-cat"')
        main = "//! x\nmod cli;\nfn main() { wsus_cat::trust::verify(); wsuscat::rules::Profile; }\n"
        self.assertEqual(targets("src/bin/wsuscat/main.rs", {"src/bin/wsuscat/main.rs": main}, cargo),
                         {"src/trust/mod.rs"})

    def test_reexports_are_followed_to_the_defining_file(self):
        code = ("use crate::cab::Cabinet;\nuse crate::cab::FolderReader;\nuse crate::Error;\n"
                "fn f() { crate::cab::MAX; }\n")
        self.assertEqual(probe(code), {"src/cab/cabinet.rs", "src/cab/folder.rs", "src/error.rs", "src/cab/mod.rs"})

    def test_renamed_reexport_is_followed(self):
        mod = BASE["src/cab/mod.rs"] + "pub use cabinet::Cabinet as Cab;\n"
        files = {"src/cab/mod.rs": mod, "src/catalog/mod.rs": "use crate::cab::Cab;\n"}
        self.assertEqual(targets("src/catalog/mod.rs", files), {"src/cab/cabinet.rs"})

    def test_macro_rules_count_where_called(self):
        exit_codes = "#[macro_export]\nmacro_rules! table { () => { \"t\" } }\n"
        main = "//! x\nmod cli;\nmod exit_codes;\nfn main() { cli::args() }\n"
        cli = "use crate::table;\npub fn args() { let _ = table!(); }\n"
        files = {"src/bin/wsuscat/main.rs": main, "src/bin/wsuscat/cli.rs": cli,
                 "src/bin/wsuscat/exit_codes.rs": exit_codes}
        self.assertEqual(targets("src/bin/wsuscat/cli.rs", files), {"src/bin/wsuscat/exit_codes.rs"})

    def test_macro_rules_called_by_name(self):
        error = BASE["src/error.rs"] + "macro_rules! bail { () => { return Err(Error) } }\n"
        folder = BASE["src/cab/folder.rs"] + "fn f() -> std::result::Result<(), ()> { bail!() }\n"
        self.assertEqual(targets("src/cab/folder.rs", {"src/error.rs": error, "src/cab/folder.rs": folder}),
                         {"src/cab/mod.rs", "src/error.rs"})

    def test_leading_colons_name_an_external_crate(self):
        # ::cab is the external `cab` crate even where `cab` also names crate::cab.
        code = "use crate::cab;\nfn f() { ::cab::folder::max(); cab::Cabinet; }\n"
        self.assertEqual(targets("src/catalog/mod.rs", {"src/catalog/mod.rs": code}), {"src/cab/cabinet.rs"})

    def test_path_attribute_is_followed(self):
        mod = BASE["src/cab/mod.rs"] + '#[path = "lzx_impl.rs"]\npub mod lzx;\n'
        files = {"src/cab/mod.rs": mod, "src/cab/lzx_impl.rs": "pub struct Decoder;\n",
                 "src/catalog/mod.rs": "fn f() { crate::cab::lzx::Decoder; }\n"}
        self.assertEqual(targets("src/catalog/mod.rs", files), {"src/cab/lzx_impl.rs"})

    def test_path_attribute_inside_inline_module_stops_loudly(self):
        mod = BASE["src/cab/mod.rs"] + 'mod outer {\n    #[path = "x.rs"]\n    mod x;\n}\n'
        with self.assertRaises(SystemExit) as stop:
            edges({"src/cab/mod.rs": mod})
        self.assertIn("#[path] inside an inline module", str(stop.exception))


class Stripping(unittest.TestCase):
    def test_comments_and_strings_make_no_edges(self):
        code = ("//! crate::commands::check::run\n// use crate::trust::verify;\n"
                "/* crate::rules::Profile /* nested */ crate::rules::Profile */\n/// crate::commands::list::run\n"
                'const S: &str = "crate::trust::verify \\" crate::rules::Profile";\n'
                "const T: &[u8] = b\"crate::cab::cabinet::open\";\n"
                "use crate::error::Error;\n")
        self.assertEqual(probe(code), {"src/error.rs"})

    def test_raw_strings_make_no_edges(self):
        code = ('const R: &str = r#"crate::rules::Profile "quoted" "#;\n'
                'const B: &[u8] = br##"crate::commands::list::run"# still"##;\n'
                'const P: &str = r"crate::trust::verify";\nuse crate::error::Error;\n')
        self.assertEqual(probe(code), {"src/error.rs"})

    def test_lifetimes_are_not_char_literals(self):
        # Read as char literals, '...' would swallow the path between the lifetimes.
        code = ("fn pick<'a>(_: crate::rules::Profile, b: &'a str) -> &'a str { b }\n"
                "const Q: char = '\"'; const E: char = '\\''; const U: char = '\\u{1F600}';\n"
                "fn g() { let _ = crate::trust::verify; }\n")
        self.assertEqual(probe(code), {"src/rules/mod.rs", "src/trust/mod.rs"})


class Rules(unittest.TestCase):
    def check(self, files):
        """(exit code, output) of checking BASE with files after --write, which checks the rules too."""
        tmp, root = make(files)
        with tmp:
            written, checked = run(root, "--write"), run(root)
        self.assertEqual(written[0], checked[0])
        return checked

    def test_clean_tree_passes(self):
        code, out = self.check({})
        self.assertEqual(code, 0, out)
        self.assertEqual(out.strip().splitlines()[-1], "structure: 17 files, 17 edges, 8 layers: ok")

    def test_upward_edge_fails(self):
        code, out = self.check({"src/catalog/mod.rs": BASE["src/catalog/mod.rs"] + "\nuse crate::report::print;\n"})
        self.assertEqual(code, 1)
        self.assertIn("upward edge: src/catalog/mod.rs (catalog) -> src/report/mod.rs (report): "
                      "uses crate::report::print (line 5)", out)

    def test_upward_edge_in_test_code_fails(self):
        folder = BASE["src/cab/folder.rs"] + "#[cfg(test)]\nmod tests {\n    use crate::commands::list::run;\n}\n"
        code, out = self.check({"src/cab/folder.rs": folder})
        self.assertEqual(code, 1)
        self.assertIn("upward edge: src/cab/folder.rs (cab) -> src/commands/list.rs (commands)", out)

    def test_sibling_circle_fails_and_names_the_tie(self):
        code, out = self.check({"src/cab/folder.rs": BASE["src/cab/folder.rs"] + "use super::Cabinet;\n"})
        self.assertEqual(code, 1)
        self.assertIn("circle: src/cab/cabinet.rs -> src/cab/folder.rs (FolderReader) -> "
                      "src/cab/cabinet.rs (Cabinet)\n", out)

    def test_circle_of_three_names_every_hop(self):
        files = {"src/rules/mod.rs": "pub mod a;\npub mod b;\npub mod c;\n",
                 "src/rules/a.rs": "use super::b::B;\npub struct A;\n",
                 "src/rules/b.rs": "use super::c::C;\npub struct B;\n",
                 "src/rules/c.rs": "pub struct C;\nfn f() { super::a::A; }\n",
                 "src/commands/check.rs": "pub fn run(_: super::Shared, _: ()) {}\n"}
        code, out = self.check(files)
        self.assertEqual(code, 1)
        self.assertIn("circle: src/rules/a.rs -> src/rules/b.rs (B) -> src/rules/c.rs (C) -> src/rules/a.rs (A)\n", out)

    def test_parent_and_child_are_containment_not_a_circle(self):
        # cab/mod.rs re-exports folder and calls it; folder uses mod.rs's MAX.
        mod = BASE["src/cab/mod.rs"] + "pub fn limit() -> usize { folder::max() }\n"
        tmp, root = make({"src/cab/mod.rs": mod})
        with tmp:
            tree = structure.Tree(root)
            found = tree.edges()
            self.assertIn(("src/cab/mod.rs", "src/cab/folder.rs"), found)
            self.assertIn(("src/cab/folder.rs", "src/cab/mod.rs"), found)
            run(root, "--write")
            code, out = run(root)
        self.assertEqual(code, 0, out)

    def test_command_units_using_each_other_fail(self):
        files = {"src/commands/check.rs": BASE["src/commands/check.rs"] + "use super::list::run as list;\n",
                 "src/commands/diff/walk.rs": BASE["src/commands/diff/walk.rs"] + "use crate::commands::check;\n"
                                              "fn f() { check::run(super::super::Shared, crate::rules::Profile) }\n"}
        code, out = self.check(files)
        self.assertEqual(code, 1)
        self.assertIn("sideways edge: src/commands/check.rs -> src/commands/list.rs: command units check and list "
                      "must not use each other: uses super::list::run (line 5)", out)
        self.assertIn("sideways edge: src/commands/diff/walk.rs -> src/commands/check.rs: command units diff and "
                      "check must not use each other: uses check::run (line 5)", out)
        self.assertNotIn("src/commands/diff/walk.rs -> src/commands/diff/order.rs", out)
        self.assertNotIn("-> src/commands/mod.rs", out)

    def test_file_in_no_layer_fails(self):
        lib = BASE["src/lib.rs"] + "pub mod util;\n"
        code, out = self.check({"src/lib.rs": lib, "src/util.rs": "pub fn u() {}\n"})
        self.assertEqual(code, 1)
        self.assertIn("file src/util.rs is in no layer: add it to LAYERS in .ci/structure.py or move it", out)

    def test_undeclared_file_and_missing_module_fail(self):
        mod = BASE["src/cab/mod.rs"] + "pub mod ghost;\n"
        code, out = self.check({"src/cab/orphan.rs": "pub fn o() {}\n", "src/cab/mod.rs": mod})
        self.assertEqual(code, 1)
        self.assertIn("file src/cab/orphan.rs is declared by no `mod`", out)
        self.assertIn("file src/cab/mod.rs declares `mod ghost;` but src has no src/cab/ghost.rs or "
                      "src/cab/ghost/mod.rs", out)

    def test_lib_rs_is_exempt(self):
        lib = BASE["src/lib.rs"] + "pub use report::print;\npub use commands::list::run as list;\n"
        tmp, root = make({"src/lib.rs": lib})
        with tmp:
            self.assertIn(("src/lib.rs", "src/report/mod.rs"), structure.Tree(root).edges())
            self.assertEqual(run(root, "--write")[0], 0)


class Map(unittest.TestCase):
    def test_missing_map_fails(self):
        tmp, root = make()
        with tmp:
            code, out = run(root)
        self.assertEqual(code, 1)
        self.assertIn("docs/design.md's layer map is missing: run python3 .ci/structure.py --write", out)

    def test_stale_map_fails_and_write_fixes_it(self):
        tmp, root = make()
        with tmp:
            self.assertEqual(run(root, "--write")[0], 0)
            self.assertEqual(run(root)[0], 0)
            (root / "src/rules/mod.rs").write_text("//! Rules, changed.\npub struct Profile;\n\n")
            code, out = run(root)
            self.assertEqual(code, 1)
            self.assertIn("docs/design.md's layer map is stale: run python3 .ci/structure.py --write", out)
            self.assertEqual(run(root, "--write")[0], 0)
            self.assertEqual(run(root), (0, "structure: 17 files, 17 edges, 8 layers: ok\n"))
            doc = (root / "docs/design.md").read_text()
        self.assertTrue(doc.startswith("# Design\n\nSome prose.\n\n## Layer map\n\n<!-- layer-map:begin -->"))
        self.assertEqual(doc.count("layer-map:begin"), 1)
        self.assertIn("  rules/mod.rs            Rules, changed.\n", doc)

    def test_map_lists_layers_top_to_bottom_with_files(self):
        tmp, root = make()
        with tmp:
            block = structure.layer_map(structure.Tree(root))
            self.assertEqual(block, structure.layer_map(structure.Tree(root)))
        heads = [line.split(" ")[0] for line in block.splitlines() if line.split(" ")[0] in
                 {name for name, _, _ in structure.LAYERS}]
        self.assertEqual(heads, ["binary", "report", "commands", "rules", "trust", "catalog", "cab", "error"])
        self.assertIn("  cab/folder.rs           CFFOLDER.\n", block)
        self.assertIn("python3 .ci/structure.py --write", block)
        self.assertNotIn("lib.rs", block.split("```text")[1])

    def test_edges_option_prints_edges(self):
        tmp, root = make()
        with tmp:
            code, out = run(root, "--edges", "--write")
        self.assertIn("src/cab/cabinet.rs -> src/cab/folder.rs: FolderReader\n", out)
        self.assertIn("src/cab/folder.rs -> src/cab/mod.rs: MAX  [containment]\n", out)

    def test_command_line(self):
        tmp, root = make()
        with tmp:
            script = [sys.executable, str(HERE / "structure.py"), "--root", str(root)]
            first = subprocess.run(script, capture_output=True, text=True)
            subprocess.run(script + ["--write"], capture_output=True, check=True)
            second = subprocess.run(script, capture_output=True, text=True)
        self.assertEqual((first.returncode, second.returncode), (1, 0), first.stdout + second.stdout)

    def test_reads_25k_lines(self):
        # A size like the project's own (no timing here: performance is
        # measured in benchmarks, never asserted in a test).
        body = "".join(f"pub fn f{i}<'a>(x: &'a str) -> crate::cab::Cabinet {{ /* {i} */ todo!(\"{i}\") }}\n"
                       for i in range(1000))
        files = {f"src/rules/m{k}.rs": body for k in range(25)}
        files["src/rules/mod.rs"] = "".join(f"pub mod m{k};\n" for k in range(25))
        tmp, root = make(files)
        with tmp:
            code, out = run(root, "--edges", "--write")
        self.assertEqual(code, 0, out)
        edges = [l for l in out.splitlines() if l.startswith("src/rules/m") and " -> src/cab/" in l]
        self.assertEqual(len(edges), 25, out[-2000:])


if __name__ == "__main__":
    unittest.main()
