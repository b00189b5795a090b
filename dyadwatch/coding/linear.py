"""Linear heads and the trained artefact on disk.

A head is a :class:`~dyadwatch.coding.features.Vocabulary`, a ``features × classes`` weight
matrix (the intercept folded into the bias column) and a temperature: calibrated
probabilities are ``softmax(scores / T)`` (or a sigmoid per column for multi-label heads), with
``T`` fitted on held-out folds of the training data (temperature scaling).

The artefact is a folder of plain files, written so that the same inputs give the same bytes:
``manifest.json`` (sorted keys: versions, seed, data digests, metrics on training folds),
``<head>.vocab.txt`` (one feature per line), ``<head>.idf.npy`` and ``<head>.weights.npy``
(float16; numpy's ``.npy`` format has no timestamps), and ``tables.json`` (verb cues and the
Phoenix actor tables). No pickle: loading runs no code from the files.

Examples
--------
>>> head = LinearHead("toy", Vocabulary({"__bias__": 0, "w:a": 1}, np.ones(2, np.float32)),
...                   np.array([[0.0, 0.0], [2.0, -2.0]], np.float32), ("x", "y"))
>>> head.proba([Counter({"w:a": 1})]).round(2).tolist()
[[0.89, 0.11]]
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import numpy as np

from dyadwatch.coding.features import Vocabulary, scores
from dyadwatch.errors import ConfigError

ARTEFACT_FILES = ("manifest.json", "tables.json")


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass(frozen=True)
class LinearHead:
    """One classifier: vocabulary, weights, class names, temperature, threshold(s)."""

    name: str
    vocab: Vocabulary
    weights: np.ndarray
    classes: tuple[str, ...]
    temperature: float = 1.0
    multilabel: bool = False
    thresholds: tuple[float, ...] = field(default_factory=tuple)
    chars: bool = True

    def raw(self, bags: Sequence[Counter[str]]) -> np.ndarray:
        return scores(self.vocab.transform(bags), self.weights)

    def proba(self, bags: Sequence[Counter[str]]) -> np.ndarray:
        """Calibrated probabilities, rows × classes."""
        return self.calibrated(self.raw(bags))

    def proba_csr(self, csr: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        """Calibrated probabilities of rows already in CSR form (a :class:`Featurizer`'s)."""
        return self.calibrated(scores(csr, self.weights))

    def calibrated(self, raw: np.ndarray) -> np.ndarray:
        z = raw / self.temperature
        return sigmoid(z) if self.multilabel else softmax(z)


def _write_head(folder: Path, head: LinearHead) -> dict[str, Any]:
    names = head.vocab.names
    (folder / f"{head.name}.vocab.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    np.save(folder / f"{head.name}.idf.npy", head.vocab.idf.astype(np.float32), allow_pickle=False)
    np.save(
        folder / f"{head.name}.weights.npy", head.weights.astype(np.float16), allow_pickle=False
    )
    return {
        "classes": list(head.classes),
        "temperature": round(float(head.temperature), 4),
        "multilabel": head.multilabel,
        "thresholds": [round(float(t), 4) for t in head.thresholds],
        "chars": head.chars,
        "features": len(names),
    }


def _read_head(folder: Traversable, name: str, meta: Mapping[str, Any]) -> LinearHead:
    names = folder.joinpath(f"{name}.vocab.txt").read_text("utf-8").splitlines()
    with folder.joinpath(f"{name}.idf.npy").open("rb") as fh:
        idf = np.load(fh, allow_pickle=False)
    with folder.joinpath(f"{name}.weights.npy").open("rb") as fh:
        weights = np.load(fh, allow_pickle=False).astype(np.float32)
    if len(names) != len(idf) or weights.shape != (len(names), len(meta["classes"])):
        raise ConfigError(
            f"coder artefact head {name!r} is inconsistent (vocabulary {len(names)}, "
            f"weights {weights.shape}); rebuild it with tools/train_coder.py."
        )
    vocab = Vocabulary({f: i for i, f in enumerate(names)}, idf)
    return LinearHead(
        name,
        vocab,
        weights,
        tuple(meta["classes"]),
        float(meta["temperature"]),
        bool(meta["multilabel"]),
        tuple(meta.get("thresholds", ())),
        bool(meta.get("chars", True)),
    )


@dataclass(frozen=True)
class Artefact:
    """Everything the coder loads: heads by name, cue and actor tables, the manifest."""

    heads: Mapping[str, LinearHead]
    tables: Mapping[str, Any]
    manifest: Mapping[str, Any]

    def save(self, folder: Path) -> None:
        """Write the artefact to ``folder`` (created if needed; old head files replaced)."""
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.npy"):
            old.unlink()
        for old in folder.glob("*.vocab.txt"):
            old.unlink()
        manifest = dict(self.manifest)
        manifest["heads"] = {name: _write_head(folder, h) for name, h in sorted(self.heads.items())}
        (folder / "tables.json").write_text(
            json.dumps(self.tables, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
            encoding="utf-8",
        )
        (folder / "manifest.json").write_text(
            json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )

    @classmethod
    def load(cls, folder: Path | Traversable | None = None) -> Artefact:
        """Load from ``folder`` (default: the artefact shipped in the package)."""
        where: Traversable | Path = (
            folder if folder is not None else resources.files("dyadwatch.coding") / "data/model"
        )
        try:
            manifest = json.loads(where.joinpath("manifest.json").read_text("utf-8"))
            tables = json.loads(where.joinpath("tables.json").read_text("utf-8"))
        except (FileNotFoundError, OSError) as exc:
            raise ConfigError(
                f"no coder artefact at {where} ({exc.__class__.__name__}); build it with "
                "`python tools/train_coder.py` (needs ../shared/data)."
            ) from None
        heads = {n: _read_head(where, n, m) for n, m in manifest["heads"].items()}
        return cls(heads, tables, manifest)


def digest(folder: Path | Traversable) -> str:
    """SHA-256 over the artefact's files (names and bytes, in name order): the model digest."""
    h = hashlib.sha256()
    entries = sorted((e for e in folder.iterdir() if e.is_file()), key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith(".") or entry.name == "PROVENANCE.md":
            continue
        h.update(entry.name.encode() + b"\0")
        h.update(entry.read_bytes())
    return h.hexdigest()
