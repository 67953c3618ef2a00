#!/usr/bin/env python3
"""Peak memory and wall time of every command at 1x and 3x volume.

    python3 .ci/measure-memory.py [--updates 136000,408000]

Each command runs once, release build, default options (all cores), on the
generated, signed benchmark catalogs that .ci/bench.py caches under
target/bench/ (136,000 updates is today's volume, 408,000 three times it);
`diff` compares a catalog with itself (both sides are read in full either
way). It prints a Markdown table with issue 13's bounds beside the figures
(docs/performance.md keeps it) and exits 1 when a command exceeds its
bound. Build first: cargo build --release.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the catalog cache)

# Issue 13's bounds in MB: (today's volume, three times it).
BOUNDS = {
    "check": (64, 64),
    "verify": (64, 64),
    "baseline": (64, 64),
    "list": (64, 96),
    "info": (64, 96),
    "show": (64, 96),
    "diff": (128, 192),
}


def commands(cab, out_dir):
    trust = ["--trust-anchor", bench.ANCHOR]
    return {
        "check": ["check", *trust, "--no-progress", cab],
        "verify": ["verify", *trust, "--no-progress", cab],
        "baseline": ["baseline", *trust, "-o", os.path.join(out_dir, "b.toml"), cab],
        "list": ["list", *trust, cab],
        "info": ["info", *trust, cab],
        "show": ["show", *trust, cab, bench.INJECT.split("=")[0]],
        "diff": ["diff", *trust, cab, cab],
    }


def measure(args):
    """(wall s, peak RSS MB, exit code) of one run, stdout discarded."""
    with tempfile.NamedTemporaryFile("r") as tfile:
        t = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-o", tfile.name, "-f", "%M", bench.BIN, *args],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t
        rss_kb = int(tfile.read().split()[-1])
    if p.returncode not in (0, 1):
        sys.exit(f"wsuscat {' '.join(args)} exited {p.returncode}: "
                 f"{p.stderr.decode(errors='replace')[-400:]}")
    return wall, rss_kb * 1024 / 1e6, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--updates", default="136000,408000")
    a = ap.parse_args()
    volumes = [int(n) for n in a.updates.split(",")]
    rows, over = {}, []
    with tempfile.TemporaryDirectory() as out_dir:
        for i, n in enumerate(volumes):
            cab = bench.catalog(n, False)
            for name, args in commands(cab, out_dir).items():
                wall, mb, _ = measure(args)
                bound = BOUNDS[name][min(i, 1)]
                rows.setdefault(name, []).append((wall, mb, bound))
                if mb > bound:
                    over.append(f"{name} at {n} updates: {mb:.0f} MB > {bound} MB")
                bench.log(f"   {name} {n}: {wall:.2f} s, {mb:.0f} MB (bound {bound})")
    head = "| command |" + "".join(
        f" {n // 1000}k: wall s | {n // 1000}k: peak MB | {n // 1000}k: bound MB |" for n in volumes)
    print(head)
    print("|---|" + "---:|" * (3 * len(volumes)))
    for name, cells in rows.items():
        print(f"| `{name}` |" + "".join(f" {w:.2f} | {m:.0f} | {b} |" for w, m, b in cells))
    for line in over:
        print(f"OVER: {line}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
