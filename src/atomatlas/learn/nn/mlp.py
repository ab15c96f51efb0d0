"""A small multi-layer perceptron trained with PyTorch (seed 003's neural classifier).

Training uses torch; the fitted weights are kept as NumPy arrays and prediction is a
NumPy forward pass, so a fitted model saves with skops like any scikit-learn estimator
and predicts without torch.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y

from atomatlas.errors import AtlasError


class TorchMLPClassifier(ClassifierMixin, BaseEstimator):
    """ReLU MLP with a softmax output, trained by Adam on the cross-entropy.

    Parameters
    ----------
    hidden_layer_sizes : list of int
    epochs : int, passes over the training rows
    batch_size : int
    learning_rate : float
    weight_decay : float, L2 penalty
    random_state : int or None, seeds torch (training is deterministic for a seed)
    """

    def __init__(self, hidden_layer_sizes=(16, 16), epochs=300, batch_size=32, learning_rate=0.01,
                 weight_decay=1e-4, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.random_state = random_state

    def fit(self, X, y):
        try:
            import torch
        except ImportError as exc:
            raise AtlasError("the torch_mlp classifier needs PyTorch: pip install 'atomatlas[nn]' "
                             "(torch==2.13.0, the CPU build).") from exc
        X, y = check_X_y(X, y)
        self.classes_ = unique_labels(y)
        target = np.searchsorted(self.classes_, y)
        seed = 0 if self.random_state is None else int(self.random_state)
        torch.manual_seed(seed)
        sizes = [X.shape[1], *map(int, self.hidden_layer_sizes), len(self.classes_)]
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(torch.nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers).double()
        optimiser = torch.optim.Adam(model.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay)
        inputs = torch.as_tensor(X, dtype=torch.float64)
        labels = torch.as_tensor(target, dtype=torch.long)
        generator = torch.Generator().manual_seed(seed)
        loss_fn = torch.nn.CrossEntropyLoss()
        self.loss_curve_ = []
        with torch.enable_grad():
            for _ in range(int(self.epochs)):
                order = torch.randperm(len(inputs), generator=generator)
                total = 0.0
                for start in range(0, len(inputs), int(self.batch_size)):
                    batch = order[start:start + int(self.batch_size)]
                    optimiser.zero_grad()
                    loss = loss_fn(model(inputs[batch]), labels[batch])
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * len(batch)
                self.loss_curve_.append(total / len(inputs))
        linear = [layer for layer in model if isinstance(layer, torch.nn.Linear)]
        self.coefs_ = [layer.weight.detach().numpy().T.copy() for layer in linear]
        self.intercepts_ = [layer.bias.detach().numpy().copy() for layer in linear]
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "coefs_")
        out = check_array(X, dtype=float)
        for i, (weight, bias) in enumerate(zip(self.coefs_, self.intercepts_)):
            out = out @ weight + bias
            if i < len(self.coefs_) - 1:
                out = np.maximum(out, 0.0)
        out = np.exp(out - out.max(axis=1, keepdims=True))
        return out / out.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
