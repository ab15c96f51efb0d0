"""What each cluster of a per-atom run is: a name from its atoms' ``identify`` labels, its purity, and a flag for
compact order that matches no known lattice.

Every clustered atom is labelled by ``identify``'s shipped model (its local order is the
``local_order`` descriptor's rows when the run used it, computed otherwise). A cluster is
named by its most common label and that label's share, the purity: "fcc 99%". Atoms the
model calls ``other`` are split by geometry: an atom whose 12 nearest neighbours lie on one
side of it (their mean bond vector longer than :data:`SURFACE_ASYMMETRY` of a bond) is at a
surface, "other (surface)"; the rest are "other (liquid-like)" (a liquid, a glass, a grain
boundary's core).

A cluster whose most common label is ``other`` or ``unknown`` but whose atoms are as alike
as a crystal's (spread below :data:`COMPACT_SPREAD`) is flagged ``novel_order``: order
the templates don't know (A15, sigma, icosahedral order in a metallic glass). Both
thresholds were set on the discovery suite's development set (docs/discovery.md): the
surface atoms' median asymmetry there is 0.38, no bulk group's (crystals, liquids, glass,
boundaries, defects) above 0.15; every disordered group (liquids, glass, grain boundaries,
defect cores) spreads at least 0.189, A15 0.075 (rattled by 0.03 A) to 0.125 (0.08 A).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SURFACE_ASYMMETRY = 0.25  # |weighted mean of the 12 nearest bond vectors| / their weighted mean length
COMPACT_SPREAD = 0.17  # median distance to the cluster's median, per feature, in the model's standardised averages
UNKNOWN = "unknown"
OTHER = "other"


def neighbour_asymmetry(atoms) -> np.ndarray:
    """Per atom, the length of the weighted mean of its 12 nearest bond vectors over their weighted mean length:
    0 in any bulk lattice, about 0.4 at a close-packed surface. The weights are local order's own for its
    12-neighbour shell, so a shell that ends inside a set of equidistant neighbours (diamond's second shell) takes
    all of them at one half and stays symmetric."""
    from atomatlas.descriptors.local_order import NEIGHBOURS, SHELLS, nearest_neighbours, shell_weights

    n = len(atoms)
    pairs = nearest_neighbours(atoms)
    vectors = pairs.vectors.reshape(n, NEIGHBOURS, 3)
    distances = pairs.distances.reshape(n, NEIGHBOURS)
    weights = shell_weights(distances / distances[:, :4].mean(axis=1, keepdims=True))[:, :, SHELLS.index(12)]
    total = weights.sum(axis=1)
    mean_vector = (vectors * weights[..., None]).sum(axis=1) / total[:, None]
    return np.linalg.norm(mean_vector, axis=1) / ((distances * weights).sum(axis=1) / total)


def name_clusters(described, clusters: np.ndarray, local_order: np.ndarray | None) -> tuple[np.ndarray, dict]:
    """(per-row label, {cluster: record}) of a per-atom run: ``described`` its frames and centres, ``clusters``
    its rows' clusters, ``local_order`` its rows when the run described them with local_order (else computed)."""
    labels, averages = atom_labels(described, local_order)
    return labels, describe_clusters(clusters, labels, averages)


def atom_labels(described, local_order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(per-row identify label, ``other`` split into surface and liquid-like; the model's standardised averages)."""
    from atomatlas.descriptors.local_order import LocalOrder

    rows, asymmetry = [], []
    for frame, centres in zip(described.frames, described.centers):
        chosen = slice(None) if centres is None else np.asarray(centres, dtype=int)
        if local_order is None:
            rows.append(LocalOrder().per_atom(frame.atoms)[chosen])
        asymmetry.append(neighbour_asymmetry(frame.atoms)[chosen])
    X = local_order if local_order is not None else np.concatenate(rows)
    labels, averages = identify_rows(X)
    return split_other(labels, np.concatenate(asymmetry)), averages


def split_other(labels: np.ndarray, asymmetry: np.ndarray) -> np.ndarray:
    """``other`` as "other (surface)" where the neighbours lie on one side, "other (liquid-like)" elsewhere."""
    labels = labels.astype(object)
    is_other = labels == OTHER
    labels[is_other & (asymmetry > SURFACE_ASYMMETRY)] = "other (surface)"
    labels[is_other & (asymmetry <= SURFACE_ASYMMETRY)] = "other (liquid-like)"
    return labels.astype(str)


def identify_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(label, the model's standardised 12-neighbour averages) of local-order rows ``X``; ``unknown`` where the
    model's uncertainty is above its cut."""
    from atomatlas.learn.crystal_ensemble import UNKNOWN_ABOVE
    from atomatlas.runs.identify import load_model

    model, meta = load_model()
    proba, uncertainty, _ = model.predict(X)
    labels = np.array(meta["classes"], dtype=object)[proba.argmax(axis=1)]
    labels[uncertainty > meta.get("unknown_above", UNKNOWN_ABOVE)] = UNKNOWN
    half = X.shape[1] // 2  # the second half of the features: the 12-neighbour averages (less thermal noise)
    averages = ((X - model.mean) / model.scale)[:, half:]
    return labels.astype(str), averages


def spread(averages: np.ndarray) -> float:
    """Median distance of the rows to their median, per feature."""
    centre = np.median(averages, axis=0)
    return float(np.median(np.linalg.norm(averages - centre, axis=1)) / np.sqrt(averages.shape[1]))


def describe_clusters(clusters: np.ndarray, labels: np.ndarray, averages: np.ndarray) -> dict:
    """{cluster: record} for clusters >= 0, from the rows' labels (``other`` already split) and averages."""
    records = {}
    for cluster in np.unique(clusters[clusters >= 0]):
        members = clusters == cluster
        shares = pd.Series(labels[members]).value_counts(normalize=True)
        records[str(int(cluster))] = cluster_record(shares, spread(averages[members]))
    return records


def cluster_record(shares: pd.Series, cluster_spread: float) -> dict:
    """One cluster's record from its labels' shares (largest first) and its spread (NaN: not measured)."""
    top, purity = str(shares.index[0]), float(shares.iloc[0])
    novel = (top == UNKNOWN or top == "other (liquid-like)") and cluster_spread < COMPACT_SPREAD
    return {"name": f"{top} {100 * purity:.0f}%", "label": top, "purity": purity, "spread": cluster_spread,
            "novel_order": bool(novel), "labels": {str(k): float(v) for k, v in shares.items()}}


# Dask runs (runs/described_parts.py): the workers label each chunk's atoms as they describe them and keep the
# averages beside the features; the clusters are named on the sample the flow is fitted on.
AVERAGE_PREFIX = "identify_average_"


def annotation_columns(frames: list, centers: list, local_order: np.ndarray | None) -> pd.DataFrame:
    """On a worker: each row's ``identify`` label and the model's averages (float32), as columns of its part."""
    from types import SimpleNamespace

    labels, averages = atom_labels(SimpleNamespace(frames=frames, centers=centers), local_order)
    return pd.concat([pd.DataFrame({"identify": labels}), pd.DataFrame(averages.astype(np.float32),
                                                                       columns=average_columns())], axis=1)


def average_columns() -> list[str]:
    """The names of the averages' columns in a Dask run's parts (local order's second half)."""
    from atomatlas.descriptors.local_order import feature_names

    return [f"{AVERAGE_PREFIX}{i}" for i in range(len(feature_names()) // 2)]
