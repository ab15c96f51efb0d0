"""Crystal classes from a structure vector (the classify ensemble) or an atom's local order (identify): an ensemble
of small networks and a novelty distance.

Each member is a scikit-learn ``MLPClassifier`` trained from its own seed on the
standardised vectors; the class probability is the members' mean. Outside the classes
the networks still answer confidently, so a second signal is kept: the distance of a
vector to its nearest training vectors (after PCA), divided by the distance that 99% of
fresh calibration rows stay under (the threshold; for identify those include `other` atoms). The uncertainty combines both::

    uncertainty = max(1 - probability, novelty / 2),   novelty = distance / threshold

so a structure is ``unknown`` (uncertainty above 0.5) when the networks disagree or are
unsure, or when it lies farther from every training crystal than in-class ones do. A model
may also be trained with an :data:`OUTSIDE` class (disordered structures): its probability
counts against every crystal class, so ``probability`` above is the best crystal class's.

Saved as ``STEM.npz`` (arrays only, no pickle) and ``STEM.json`` (classes, layer sizes,
record), where the stem names what the model labels (:data:`STEMS`: whole structures or
single atoms); :func:`load` checks every array before use.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from atomatlas.errors import AtlasError

FORMAT, FORMAT_VERSION = "atomatlas-crystal-ensemble", 1
UNKNOWN = "unknown"
OUTSIDE = "outside"  # an optional class of training structures that belong to no class
UNKNOWN_ABOVE = 0.5
NEIGHBOURS = 5
MAX_CLASSES, MAX_MEMBERS, MAX_FEATURES, MAX_WIDTH = 1000, 32, 100_000, 4096
STEMS = {"crystal_ensemble": "train-crystal-ensemble", "atom_ensemble": "train-identify"}  # file stem -> command


class CrystalEnsemble:
    """A fitted ensemble: ``predict(X) -> (probability, uncertainty, novelty)``."""

    def __init__(self, classes, mean, scale, members, components, reference, threshold):
        self.classes = list(classes)
        self.mean, self.scale = mean, scale
        self.members = members  # [(weights, biases)] per member, as trained and saved (float64)
        self._networks = [([w.astype(np.float32) for w in weights], [b.astype(np.float32) for b in biases])
                          for weights, biases in members]
        self.components, self.reference, self.threshold = components, reference, float(threshold)
        # built once; in 30 dimensions larger leaves and median-free splits answer 1.5x faster, the same distances
        self._tree = cKDTree(reference, leafsize=32, balanced_tree=False)

    def probabilities(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean probability over members, their standard deviation), each (n, classes).

        The networks run in float32 (twice float64's speed; probabilities within 1e-6 of it), their mean and spread
        in float64."""
        Z = ((np.asarray(X, dtype=float) - self.mean) / self.scale).astype(np.float32)
        each = np.stack([_forward(Z, weights, biases) for weights, biases in self._networks]).astype(float)
        return each.mean(axis=0), each.std(axis=0)

    def novelty(self, X: np.ndarray) -> np.ndarray:
        """Mean distance to the nearest training vectors, in units of the in-class threshold."""
        projected = ((np.asarray(X, dtype=float) - self.mean) / self.scale) @ self.components
        distances, _ = self._tree.query(projected, k=NEIGHBOURS)
        return distances.mean(axis=1) / self.threshold

    def in_class(self) -> np.ndarray:
        """Indices of the classes that name something (all but :data:`OUTSIDE`)."""
        return np.array([i for i, name in enumerate(self.classes) if name != OUTSIDE])

    def predict(self, X: np.ndarray):
        """(probability (n, classes), uncertainty (n,), novelty (n,))."""
        proba, _ = self.probabilities(X)
        novelty = self.novelty(X)
        best = proba[:, self.in_class()].max(axis=1)
        uncertainty = np.clip(np.maximum(1.0 - best, novelty / 2.0), 0.0, 1.0)
        return proba, uncertainty, novelty


def _forward(Z, weights, biases) -> np.ndarray:
    out = Z
    for i, (weight, bias) in enumerate(zip(weights, biases)):
        out = out @ weight + bias
        if i < len(weights) - 1:
            out = np.maximum(out, 0.0)
    out = np.exp(out - out.max(axis=1, keepdims=True))
    return out / out.sum(axis=1, keepdims=True)


def fit(X, y, classes, X_calibration, *, members: int = 5, hidden=(128, 64), n_components: int = 30,
        reference_rows: int = 3000, seed: int = 0, progress: bool = False) -> CrystalEnsemble:
    """Train the members on (X, y) and set the novelty threshold on ``X_calibration``, as given.

    The reference rows of the novelty distance are every training row whose class is not
    OUTSIDE, and the threshold is the 99th percentile of the calibration rows' distances.
    For identify both include the ``other`` class (liquid and quenched atoms), so novelty
    says how far an atom is from the training atoms, disorder included: it does not flag
    disorder (docs/identify.md)."""
    from sklearn.decomposition import PCA
    from sklearn.neural_network import MLPClassifier

    from atomatlas.learn.progress import bar, progress_bars

    X, X_calibration = np.asarray(X, dtype=float), np.asarray(X_calibration, dtype=float)  # saved as float64
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 1e-12, scale, 1.0)
    Z = (X - mean) / scale
    fitted = []
    with progress_bars(progress):
        for member in bar(range(members), "ensemble members", "network"):
            net = MLPClassifier(hidden_layer_sizes=hidden, max_iter=400, early_stopping=True, n_iter_no_change=20,
                                random_state=seed + member).fit(Z, y)
            fitted.append(([w.copy() for w in net.coefs_], [b.copy() for b in net.intercepts_]))
    crystals = Z[np.asarray([classes[label] != OUTSIDE for label in y])]  # novelty: far from every class but OUTSIDE
    pca = PCA(n_components=min(n_components, *crystals.shape), random_state=seed).fit(crystals)
    rows = np.random.default_rng(seed).permutation(len(crystals))[:reference_rows]
    reference = crystals[rows] @ pca.components_.T
    model = CrystalEnsemble(classes, mean, scale, fitted, pca.components_.T, reference, 1.0)
    model.threshold = float(np.quantile(model.novelty(X_calibration), 0.99))  # every calibration row, `other` too
    return model


def save(model: CrystalEnsemble, folder: str | Path, meta: dict, stem: str = "crystal_ensemble") -> None:
    folder = Path(folder)
    arrays = {"mean": model.mean, "scale": model.scale, "components": model.components,
              "reference": model.reference}
    for m, (weights, biases) in enumerate(model.members):
        arrays.update({f"member{m}_weight{i}": w for i, w in enumerate(weights)})
        arrays.update({f"member{m}_bias{i}": b for i, b in enumerate(biases)})
    np.savez_compressed(folder / f"{stem}.npz", **arrays)
    layers = [w.shape[1] for w in model.members[0][0][:-1]]
    record = {"format": FORMAT, "format_version": FORMAT_VERSION, "classes": model.classes,
              "n_features": int(len(model.mean)), "hidden": layers, "members": len(model.members),
              "n_components": int(model.components.shape[1]), "threshold": model.threshold,
              "unknown_above": UNKNOWN_ABOVE, **meta}
    (folder / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n")


def is_ensemble_folder(folder: str | Path, stem: str = "crystal_ensemble") -> bool:
    return (Path(folder) / f"{stem}.json").exists()


def _read_meta(path: Path) -> dict:
    from atomatlas.untrusted import class_names, model_meta

    advice = "the model folder is damaged: retrain, or reinstall atomatlas."
    meta = model_meta(path, FORMAT, FORMAT_VERSION, advice)
    class_names(meta, path, MAX_CLASSES, advice, reserved=(UNKNOWN,))
    counts = [meta.get("n_features"), meta.get("members"), meta.get("n_components"), *(meta.get("hidden") or [0])]
    limits = [MAX_FEATURES, MAX_MEMBERS, MAX_FEATURES] + [MAX_WIDTH] * (len(counts) - 3)
    if (not isinstance(meta.get("hidden"), list) or not all(isinstance(c, int) and not isinstance(c, bool)
                                                               and 1 <= c <= top for c, top in zip(counts, limits))):
        raise AtlasError(f"{path}: n_features, members, n_components and hidden must be positive integers within "
                         "limits; the model folder is damaged.")
    threshold = meta.get("threshold")
    if not isinstance(threshold, float) or not np.isfinite(threshold) or threshold <= 0:
        raise AtlasError(f"{path}: 'threshold' must be a positive number; the model folder is damaged.")
    return meta


def _expected_shapes(meta: dict) -> dict:
    d, k = meta["n_features"], meta["n_components"]
    sizes = [d, *meta["hidden"], len(meta["classes"])]
    shapes = {"mean": (d,), "scale": (d,), "components": (d, k), "reference": None}
    for m in range(meta["members"]):
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            shapes[f"member{m}_weight{i}"] = (n_in, n_out)
            shapes[f"member{m}_bias{i}"] = (n_out,)
    return shapes


def _read_arrays(path: Path, meta: dict) -> dict:
    shapes = _expected_shapes(meta)
    try:
        with np.load(path, allow_pickle=False) as archive:
            if set(archive.files) != set(shapes):
                raise AtlasError(f"{path}: arrays do not fit the model described in its JSON; the model folder is "
                                 "damaged.")
            arrays = {name: archive[name] for name in shapes}
    except AtlasError:
        raise
    except Exception as exc:  # zipfile, numpy and zlib raise many types for a damaged archive
        raise AtlasError(f"{path}: not a readable weights file ({type(exc).__name__}); the model folder is "
                         "damaged: retrain or reinstall atomatlas.") from exc
    for name, array in arrays.items():
        wanted = shapes[name] or (array.shape[0], meta["n_components"])
        if array.dtype != np.float64 or array.shape != wanted or (name == "reference" and len(array) < NEIGHBOURS):
            raise AtlasError(f"{path}: array {name!r} is {array.dtype}{list(array.shape)}, the model needs "
                             f"float64{list(wanted)}; the model folder is damaged.")
        if not np.isfinite(array).all() or (name == "scale" and (array <= 0).any()):
            raise AtlasError(f"{path}: array {name!r} holds NaN, infinite or (scale) non-positive values; the model "
                             "folder is damaged: retrain or reinstall atomatlas.")
    return arrays


def load(folder: str | Path, stem: str = "crystal_ensemble") -> tuple[CrystalEnsemble, dict]:
    """(model, meta) from a folder written by :func:`save`; nothing is unpickled, every array is checked."""
    folder = Path(folder)
    meta_path, arrays_path = folder / f"{stem}.json", folder / f"{stem}.npz"
    if not meta_path.exists() or not arrays_path.exists():
        raise AtlasError(f"{folder}: no {stem}.json / {stem}.npz; give a folder written by "
                         f"`atomatlas {STEMS[stem]}`.")
    meta = _read_meta(meta_path)
    arrays = _read_arrays(arrays_path, meta)
    n_layers = len(meta["hidden"]) + 1
    members = [([arrays[f"member{m}_weight{i}"] for i in range(n_layers)],
                [arrays[f"member{m}_bias{i}"] for i in range(n_layers)]) for m in range(meta["members"])]
    model = CrystalEnsemble(meta["classes"], arrays["mean"], arrays["scale"], members, arrays["components"],
                            arrays["reference"], meta["threshold"])
    return model, meta
