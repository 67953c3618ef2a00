#!/usr/bin/env python3
"""Fails when a dependency that `cargo install` builds declares a
rust-version above wsuscat's own.

Only one toolchain exists where CI runs, so wsuscat cannot be compiled with
its rust-version here. What can be checked: clippy's incompatible_msrv lint
(std APIs newer than rust-version, in wsuscat's own code) and this script
(the rust-version every dependency declares). Normal and build dependencies
are followed for every target platform, Windows included; dev-dependencies
are listed but do not fail the check, because users never build them.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile


def version(text):
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


meta = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--all-features"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
packages = {p["id"]: p for p in meta["packages"]}
root_id = meta["resolve"]["root"]
ours = packages[root_id].get("rust_version")
if not ours:
    sys.exit("Cargo.toml sets no rust-version")
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}


def reachable(include_dev_of_root):
    seen, stack = set(), [root_id]
    while stack:
        node = nodes[stack.pop()]
        for dep in node["deps"]:
            kinds = {k["kind"] for k in dep["dep_kinds"]}
            # Dev-dependencies of dependencies never appear in the resolve
            # graph; only the root's matter, and only when asked.
            if kinds == {"dev"} and not (include_dev_of_root and node["id"] == root_id):
                continue
            if dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                stack.append(dep["pkg"])
    return seen


def too_new(ids):
    out = []
    for pid in sorted(ids, key=lambda i: packages[i]["name"]):
        p = packages[pid]
        rv = p.get("rust_version")
        if rv and version(rv) > version(ours):
            out.append(f"{p['name']} {p['version']} declares rust-version {rv}")
    return out


built = reachable(False)
bad = too_new(built)
dev_only = too_new(reachable(True) - built)
print(f"rust-version {ours}: {len(built)} dependencies that users build checked")
for line in dev_only:
    print(f"  (dev-dependency only, not built by users) {line}")
if bad:
    for line in bad:
        print(f"  ABOVE OURS: {line}")
    sys.exit(1)


# The lint must be on in our manifest, and this toolchain's clippy must
# enforce it: a probe crate that calls an API newer than its rust-version
# has to fail.
manifest = pathlib.Path(__file__).resolve().parent.parent / "Cargo.toml"
if 'incompatible_msrv = "deny"' not in manifest.read_text():
    sys.exit("Cargo.toml does not deny clippy::incompatible_msrv")
with tempfile.TemporaryDirectory() as d:
    probe = pathlib.Path(d)
    (probe / "src").mkdir()
    (probe / "Cargo.toml").write_text(
        '[package]\nname = "msrv-probe"\nversion = "0.0.0"\nedition = "2021"\n'
        'rust-version = "1.80"\n\n[lints.clippy]\nincompatible_msrv = "deny"\n'
    )
    # Vec::pop_if is stable since 1.86.
    (probe / "src" / "lib.rs").write_text(
        "pub fn f(v: &mut Vec<u8>) -> Option<u8> {\n    v.pop_if(|x| *x > 1)\n}\n"
    )
    r = subprocess.run(
        ["cargo", "clippy", "--quiet", "--offline"],
        cwd=probe,
        capture_output=True,
        text=True,
        env={**os.environ, "CARGO_TARGET_DIR": str(probe / "target")},
    )
    if r.returncode == 0 or "incompatible_msrv" not in r.stderr:
        sys.exit("clippy did not enforce incompatible_msrv on the probe crate:\n" + r.stderr)
print("clippy::incompatible_msrv is denied and enforced")
