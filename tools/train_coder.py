"""Train dyadwatch's text coder and write the artefact that ships as package data.

    python tools/train_coder.py                 # train, write dyadwatch/coding/data/model/
    python tools/train_coder.py --check         # train into a temporary folder; fail unless
                                                # the bytes equal the shipped artefact's
    python tools/train_coder.py --data DIR      # another copy of ../shared/data

Inputs (read-only, never copied into the repo): the training sides of the coding gold sets in
``../shared/data/coding_gold`` and the PETRARCH-2/Phoenix dictionaries in
``../shared/data/coding_dictionaries`` (see their PROVENANCE.md files). The manifest records
each input file's SHA-256, the seed, and the versions of Python, numpy, scipy and
scikit-learn; training runs on one thread so that the same inputs give the same bytes.
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

OUT = REPO / "dyadwatch/coding/data/model"
SEED = 20210119


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(data: Path, out: Path, seed: int) -> float:
    import numpy
    import scipy
    import sklearn
    from threadpoolctl import threadpool_limits

    from dyadwatch.coding.gold import source_files
    from dyadwatch.coding.train import train

    inputs = [*source_files(data)]
    petr = data / "coding_dictionaries/petrarch2"
    inputs += [
        petr / "CAMEO.2.0.txt",
        petr / "Phoenix.Countries.actors.txt",
        petr / "Phoenix.agents.txt",
    ]
    started = time.perf_counter()
    with threadpool_limits(limits=1):
        artefact, _ = train(data, seed=seed)
    seconds = time.perf_counter() - started
    manifest = dict(artefact.manifest)
    manifest["inputs"] = {str(p.relative_to(data)): sha256(p) for p in inputs}
    manifest["versions"] = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }
    manifest["split"] = (
        "sha256(normalised text): buckets 0-1 of 10 held out; InSight Crime dev held out; "
        "PLOVER GSR evaluation-only"
    )
    type(artefact)(artefact.heads, artefact.tables, manifest).save(out)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true", help="rebuild and compare with --out")
    args = parser.parse_args(argv)
    if not (args.data / "coding_gold").is_dir():
        print(
            f"error: no coding_gold under {args.data}; pass --data ../shared/data", file=sys.stderr
        )
        return 2
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            seconds = build(args.data, Path(tmp), args.seed)
            names = sorted(p.name for p in Path(tmp).iterdir())
            shipped = sorted(p.name for p in args.out.iterdir() if p.name != "PROVENANCE.md")
            _, mismatch, errors = filecmp.cmpfiles(tmp, args.out, names, shallow=False)
            if names != shipped or mismatch or errors:
                print(
                    f"artefact differs: {mismatch or errors or set(names) ^ set(shipped)}",
                    file=sys.stderr,
                )
                return 1
        print(f"rebuilt in {seconds:.1f} s: identical to {args.out}")
        return 0
    seconds = build(args.data, args.out, args.seed)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    from dyadwatch.coding.linear import digest

    print(
        f"trained in {seconds:.1f} s; {size / 1e6:.2f} MB in {args.out}; sha256 {digest(args.out)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
