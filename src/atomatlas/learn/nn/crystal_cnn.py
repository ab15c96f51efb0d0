"""The crystal-structure CNN of seed 001 (its Table 1, after Ziletti et al. 2018) in PyTorch.

Input: a (3, 64, 64) diffraction fingerprint. Six 7x7 convolutions (32, 32, pool,
16, 16, pool, 8, 8; ReLU, 'same' padding), a 128-unit dense layer with 25% dropout,
batch normalisation and a softmax over the classes. Trained with Adam (learning rate
1e-3) on the cross-entropy in batches of 32, as in the seed.

Weights are saved as a plain ``.npz`` of arrays plus a JSON file (classes, settings,
training record) and loaded without unpickling anything. Prediction returns the mean
class probabilities over Monte Carlo dropout samples and their spread (the
uncertainty); :func:`class_activation_maps` gives Grad-CAM maps of where the network
looked.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from atomatlas.errors import AtlasError

FORMAT = "atomatlas-crystal-cnn"
FORMAT_VERSION = 1


def require_torch():
    try:
        import torch
    except ImportError:
        raise AtlasError("the crystal CNN needs PyTorch: pip install 'atomatlas[nn]' (torch==2.13.0, CPU).") from None
    return torch


def build(n_classes: int = 7):
    nn = require_torch().nn

    def conv(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, kernel_size=7, padding=3), nn.ReLU()]

    return nn.Sequential(
        *conv(3, 32), *conv(32, 32), nn.MaxPool2d(2, 2),
        *conv(32, 16), *conv(16, 16), nn.MaxPool2d(2, 2),
        *conv(16, 8), *conv(8, 8),
        nn.Flatten(), nn.Linear(8 * 16 * 16, 128), nn.ReLU(), nn.Dropout(0.25), nn.BatchNorm1d(128),
        nn.Linear(128, n_classes))


LAST_CONV = 13  # index of the last convolution's ReLU in build(): Grad-CAM looks here
HEAD = 15  # the dense head (Linear, ReLU, Dropout, BatchNorm, Linear) starts here, after Flatten


def _torch_threads(n_jobs: int | None):
    torch = require_torch()

    if n_jobs:
        torch.set_num_threads(n_jobs)
    return torch


def train(X: np.ndarray, y: np.ndarray, *, n_classes: int, epochs: int = 5, batch_size: int = 32,
          learning_rate: float = 1e-3, validation: float = 0.05, seed: int = 0, n_jobs: int | None = None,
          progress: bool = False):
    """Train from fingerprints ``X`` (n, 3, 64, 64) and integer labels ``y``; returns (model, history)."""
    torch = _torch_threads(n_jobs)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))
    n_val = int(round(validation * len(X))) if len(X) >= 20 else 0
    val, fit = order[:n_val], order[n_val:]
    model = build(n_classes)
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)), torch.from_numpy(y.astype(np.int64))
    history = []
    bar = _bar(epochs * int(np.ceil(len(fit) / batch_size)), progress)
    for epoch in range(epochs):
        model.train()
        rng.shuffle(fit)
        total, seen = 0.0, 0
        for start in range(0, len(fit), batch_size):
            batch = torch.from_numpy(fit[start:start + batch_size])
            if len(batch) < 2:  # batch normalisation needs two rows
                continue
            optimiser.zero_grad()
            loss = loss_fn(model(X_t[batch]), y_t[batch])
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
            seen += len(batch)
            bar.update(1)
        record = {"epoch": epoch + 1, "loss": total / max(seen, 1)}
        if n_val:
            model.eval()
            with torch.no_grad():
                logits = model(X_t[torch.from_numpy(val)])
                record["val_loss"] = float(loss_fn(logits, y_t[torch.from_numpy(val)]))
                record["val_accuracy"] = float((logits.argmax(1) == y_t[torch.from_numpy(val)]).float().mean())
        history.append(record)
    bar.close()
    model.eval()
    return model, history


def _bar(total: int, show: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="training CNN", unit="batch", leave=False, disable=None if show else True)


def predict(model, X: np.ndarray, mc_samples: int = 20, seed: int = 0, batch_size: int = 256,
            n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean class probabilities and their standard deviation over ``mc_samples`` dropout samples.

    With ``mc_samples = 0`` dropout is off and the spread is zero. Batch normalisation always
    uses its trained statistics.
    """
    torch = _torch_threads(n_jobs)
    torch.manual_seed(seed)
    model.eval()
    body, head = model[:HEAD], model[HEAD:]  # dropout sits in the head: run the convolutions once
    dropout = [m for m in head.modules() if isinstance(m, torch.nn.Dropout)]
    X_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    with torch.no_grad():
        features = torch.cat([body(X_t[i:i + batch_size]) for i in range(0, len(X_t), batch_size)]) if len(X_t) \
            else torch.empty((0, 8 * 16 * 16))
        samples = []
        for _ in range(max(mc_samples, 1)):
            for layer in dropout:
                layer.train(mc_samples > 0)
            samples.append(torch.softmax(head(features), dim=1).numpy())
    for layer in dropout:
        layer.train(False)
    samples = np.stack(samples)
    return samples.mean(axis=0), samples.std(axis=0)


def class_activation_maps(model, X: np.ndarray, classes: np.ndarray | None = None) -> np.ndarray:
    """Grad-CAM maps (n, 64, 64) in [0, 1]: where the last convolution's evidence for the class lies."""
    import torch

    model.eval()
    X_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)).requires_grad_(False)
    features = model[:LAST_CONV + 1](X_t)
    features.retain_grad()
    logits = model[LAST_CONV + 1:](features)
    chosen = logits.argmax(1) if classes is None else torch.as_tensor(classes)
    logits.gather(1, chosen[:, None]).sum().backward()
    weights = features.grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * features).sum(dim=1, keepdim=True))
    cam = torch.nn.functional.interpolate(cam, size=X.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    cam = cam.detach().numpy()
    peak = cam.reshape(len(cam), -1).max(axis=1)
    return cam / np.where(peak > 0, peak, 1.0)[:, None, None]


def save(model, folder: str | Path, meta: dict) -> None:
    """``crystal_cnn.npz`` (weights) and ``crystal_cnn.json`` (classes, settings, record)."""
    folder = Path(folder)
    state = {name: tensor.detach().numpy() for name, tensor in model.state_dict().items()}
    np.savez_compressed(folder / "crystal_cnn.npz", **state)
    (folder / "crystal_cnn.json").write_text(json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION,
                                                         **meta}, indent=2) + "\n")


MAX_CLASSES = 1000
ADVICE = "the model folder is damaged: retrain, or reinstall atomatlas."


def _read_meta(meta_path: Path) -> dict:
    """The checked JSON half of a saved CNN: format, version and a usable class list."""
    from atomatlas.untrusted import class_names, model_meta

    meta = model_meta(meta_path, FORMAT, FORMAT_VERSION, ADVICE)
    class_names(meta, meta_path, MAX_CLASSES, ADVICE)
    return meta


def _read_weights(model, weights_path: Path) -> dict:
    """Arrays of the npz checked against the network: same names, shapes, dtypes, finite values."""
    torch = require_torch()
    expected = model.state_dict()
    try:
        with np.load(weights_path, allow_pickle=False) as weights:
            names = set(weights.files)
            if names != set(expected):
                missing, extra = sorted(set(expected) - names), sorted(names - set(expected))
                raise AtlasError(f"{weights_path}: weights do not fit the network (missing {missing[:3]}, "
                                 f"unexpected {extra[:3]}); the model folder is damaged.")
            arrays = {name: weights[name] for name in expected}
    except AtlasError:
        raise
    except Exception as exc:  # zipfile, numpy and zlib raise many types for a damaged archive
        raise AtlasError(f"{weights_path}: not a readable weights file ({type(exc).__name__}); the model folder "
                         "is damaged: retrain or reinstall atomatlas.") from exc
    state = {}
    for name, tensor in expected.items():
        array = arrays[name]
        wanted = np.dtype(str(tensor.dtype).replace("torch.", ""))
        if array.shape != tuple(tensor.shape) or array.dtype != wanted:
            raise AtlasError(f"{weights_path}: array {name!r} is {array.dtype}{list(array.shape)}, the network needs "
                             f"{wanted}{list(tensor.shape)}; the model folder is damaged.")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise AtlasError(f"{weights_path}: array {name!r} holds NaN or infinite values; the model folder is "
                             "damaged: retrain or reinstall atomatlas.")
        state[name] = torch.from_numpy(np.array(array))
    return state


def load(folder: str | Path):
    """(model, meta) from a folder written by :func:`save`; refuses other formats. Nothing is unpickled.

    Every array is checked against the network before use (names, shapes, dtypes, finite
    values), and the class list in the JSON must match the network's output.
    """
    folder = Path(folder)
    meta_path, weights_path = folder / "crystal_cnn.json", folder / "crystal_cnn.npz"
    if not meta_path.exists() or not weights_path.exists():
        raise AtlasError(f"{folder}: no crystal_cnn.json / crystal_cnn.npz; give a folder written by "
                         "`atomatlas train-crystal-cnn`.")
    meta = _read_meta(meta_path)
    model = build(len(meta["classes"]))
    model.load_state_dict(_read_weights(model, weights_path))
    model.eval()
    return model, meta
