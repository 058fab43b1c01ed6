"""The classic autoencoder and its deep, layer-wise pretrained form.

Autoencoder (Bengio et al., 2007; Vincent et al., 2008, Sec. 2.2)::

    y = s(W x + b)          the code (hidden representation), s = logistic sigmoid
    z = s(W' y + b')        the reconstruction; "tied weights" means W' = W^T

Training minimises a reconstruction error L(x, z), summed over the d inputs of one
example and averaged over the batch:

    squared error   L_2(x, z) = sum_k (x_k - z_k)^2
    cross-entropy   L_H(x, z) = -sum_k [x_k log z_k + (1 - x_k) log(1 - z_k)]

(L_H when every x_k lies in [0, 1], e.g. pixel intensities.) A *denoising* autoencoder
reads a corrupted x~ and is scored against the clean x: ``x`` noisy, ``target`` clean.

Greedy layer-wise pretraining (Bengio et al., 2007; Vincent et al., 2010, Sec. 3.5):
train an autoencoder on the data, keep its encoder, train the next autoencoder on the
codes of the first, and so on; the stacked encoders initialise a deep network, which is
then fine-tuned with labels (``greedy_layerwise_pretrain`` + ``DeepNet``).

Shapes follow ``torch.nn.Linear``: ``W`` is [n_hidden, n_inputs], ``W'`` [n_inputs, n_hidden],
a batch ``x`` is [B, n_inputs] and ``y = s(x W^T + b)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from minilm.checks import check_class_labels, check_generator, check_positive_int, check_tensor
from minilm.device import chosen_device
from minilm.models.common import ModelOutput

LOSSES = ("cross_entropy", "squared_error")


# ----------------------------------------------------------------- the equations
def autoencode(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, W_prime: torch.Tensor | None,
               b_prime: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(y, z)`` for a batch ``x`` [B, d]: code y [B, h] and reconstruction z [B, d].

    ``W_prime=None`` means tied weights, W' = W^T.
    """
    y = torch.sigmoid(x @ W.T + b)                              # (B, h)
    W_prime = W.T if W_prime is None else W_prime                # (d, h)
    z = torch.sigmoid(y @ W_prime.T + b_prime)                  # (B, d)
    return y, z


def reconstruction_loss(z: torch.Tensor, x: torch.Tensor, *, kind: str = "cross_entropy") -> torch.Tensor:
    """L(x, z) summed over the inputs of an example, averaged over the batch.

    ``z`` is the reconstruction in (0, 1), ``x`` the clean target, both [B, d].
    ``kind`` is "cross_entropy" (targets must lie in [0, 1]) or "squared_error".
    """
    check_tensor(z, "z")
    check_tensor(x, "x")
    if z.shape != x.shape:
        raise ValueError(f"z and x must have the same shape, got {tuple(z.shape)} and {tuple(x.shape)}")
    if kind == "squared_error":
        per_input = (x - z) ** 2
    elif kind == "cross_entropy":
        if x.min() < 0 or x.max() > 1:
            raise ValueError("cross_entropy needs targets x in [0, 1] (scale the data, or use "
                             "kind='squared_error')")
        per_input = F.binary_cross_entropy(z, x, reduction="none")  # logs clamped at -100
    else:
        raise ValueError(f"kind must be one of {LOSSES}, got {kind!r}")
    return per_input.reshape(len(x), -1).sum(dim=1).mean()


def check_rows(x, n_features: int) -> None:
    """``x`` must be a batch [B, n_features] of examples, one per row."""
    check_tensor(x, "x", ndim=2)
    if x.shape[1] != n_features:
        raise ValueError(f"x must have {n_features} features per row, got shape {tuple(x.shape)}")


# ------------------------------------------------------------------- the model
@dataclass
class AutoencoderConfig:
    """One sigmoid autoencoder; the defaults fit 8x8 digit images."""

    n_inputs: int = 64            # d: size of x (64 pixels of an 8x8 image)
    n_hidden: int = 32            # h: size of the code y (< d: a bottleneck)
    tied: bool = True             # W' = W^T (one weight matrix, as in Vincent et al., 2008)
    loss: str = "cross_entropy"   # "cross_entropy" for x in [0, 1], or "squared_error"

    def __post_init__(self):
        check_positive_int(self.n_inputs, "n_inputs")
        check_positive_int(self.n_hidden, "n_hidden")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")


@dataclass
class AutoencoderOutput:
    loss: torch.Tensor | None  # L(target, z), when a target was given
    reconstruction: torch.Tensor  # z [B, d]
    code: torch.Tensor            # y [B, h]


class Autoencoder(nn.Module):
    """x -> y = s(W x + b) -> z = s(W' y + b'), trained to make z close to x."""

    def __init__(self, config: AutoencoderConfig):
        super().__init__()
        self.config = c = config
        # Glorot & Bengio (2010)'s uniform range, times 4 for the sigmoid: the codes start
        # neither saturated nor all at 0.5.
        bound = 4 * math.sqrt(6 / (c.n_inputs + c.n_hidden))
        self.W = nn.Parameter(torch.empty(c.n_hidden, c.n_inputs).uniform_(-bound, bound))
        self.b = nn.Parameter(torch.zeros(c.n_hidden))
        self.W_prime = None if c.tied else nn.Parameter(
            torch.empty(c.n_inputs, c.n_hidden).uniform_(-bound, bound))
        self.b_prime = nn.Parameter(torch.zeros(c.n_inputs))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The code y = s(W x + b), [B, h]: the learned features."""
        check_rows(x, self.config.n_inputs)
        return torch.sigmoid(x @ self.W.T + self.b)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction z [B, d] of ``x`` (no loss: ``x`` may be a noisy input)."""
        check_rows(x, self.config.n_inputs)
        return autoencode(x, self.W, self.b, self.W_prime, self.b_prime)[1]

    def forward(self, x: torch.Tensor, target: torch.Tensor | None = None) -> AutoencoderOutput:
        """Reconstruct ``x`` [B, d]; the loss compares z with ``target`` (the clean input of a
        denoising autoencoder) or, if no target is given, with ``x`` itself."""
        check_rows(x, self.config.n_inputs)
        y, z = autoencode(x, self.W, self.b, self.W_prime, self.b_prime)
        target = x if target is None else target
        return AutoencoderOutput(reconstruction_loss(z, target, kind=self.config.loss), z, y)

    def filters(self) -> torch.Tensor:
        """The rows of W, [h, d]: what each code unit responds to (plot them as images)."""
        return self.W.detach()


# ------------------------------------------------- deep nets, layer by layer
@dataclass
class DeepNetConfig:
    """A sigmoid MLP classifier whose hidden layers can come from stacked autoencoders."""

    layer_sizes: tuple[int, ...] = (64, 48, 32)  # input size, then each hidden layer's width
    n_classes: int = 10

    def __post_init__(self):
        self.layer_sizes = tuple(self.layer_sizes)
        if len(self.layer_sizes) < 2:
            raise ValueError("layer_sizes needs the input size and at least one hidden size")
        for i, n in enumerate(self.layer_sizes):
            check_positive_int(n, f"layer_sizes[{i}]")
        check_positive_int(self.n_classes, "n_classes")


class DeepNet(nn.Module):
    """x -> s(W_1 x + b_1) -> ... -> s(W_L h + b_L) -> logits; cross-entropy with ``labels``."""

    def __init__(self, config: DeepNetConfig):
        super().__init__()
        self.config = config
        sizes = config.layer_sizes
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.head = nn.Linear(sizes[-1], config.n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The top hidden layer, [B, layer_sizes[-1]]."""
        check_rows(x, self.config.layer_sizes[0])
        for layer in self.layers:
            x = torch.sigmoid(layer(x))
        return x

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> ModelOutput:
        h = self.features(x)
        logits = self.head(h)
        loss = None if labels is None else F.cross_entropy(
            logits, check_class_labels(labels, len(x), self.config.n_classes))
        return ModelOutput(loss=loss, logits=logits, hidden_states=h)

    @torch.no_grad()
    def load_autoencoders(self, autoencoders: list[Autoencoder]) -> DeepNet:
        """Copy each autoencoder's encoder (W, b) into the matching hidden layer."""
        if len(autoencoders) != len(self.layers):
            raise ValueError(f"need {len(self.layers)} autoencoders, one per hidden layer, "
                             f"got {len(autoencoders)}")
        for i, (layer, ae) in enumerate(zip(self.layers, autoencoders, strict=True)):
            if ae.W.shape != layer.weight.shape:
                raise ValueError(f"autoencoders[{i}] has W of shape {tuple(ae.W.shape)}, "
                                 f"layer {i} needs {tuple(layer.weight.shape)}")
            layer.weight.copy_(ae.W)
            layer.bias.copy_(ae.b)
        return self


def greedy_layerwise_pretrain(x: torch.Tensor, layer_sizes: tuple[int, ...], *, steps: int = 500,
                              batch_size: int = 64, lr: float = 0.01, tied: bool = True,
                              noise: Callable[[torch.Tensor], torch.Tensor] | None = None,
                              generator: torch.Generator | None = None,
                              progress: bool | str = False, device=None) -> list[Autoencoder]:
    """Train one (denoising) autoencoder per layer, each on the codes of the one below, on
    ``device`` (default: ``minilm.device.default_device()``).

    ``x`` [N, layer_sizes[0]] with values in [0, 1]. ``noise`` corrupts each input batch,
    e.g. ``partial(masking_noise, ratio=0.25, generator=gen)``; None trains plain
    autoencoders. Returns them bottom first, ready for ``DeepNet.load_autoencoders``.
    """
    from minilm.train import train  # local import: train.py is not needed for the equations

    check_tensor(x, "x", ndim=2)
    check_generator(generator)
    sizes = DeepNetConfig(tuple(layer_sizes)).layer_sizes
    if x.shape[1] != sizes[0]:
        raise ValueError(f"layer_sizes[0] ({sizes[0]}) must equal x's width ({x.shape[1]})")
    autoencoders, h = [], x.to(chosen_device(device))
    for i, (n_in, n_hidden) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        ae = Autoencoder(AutoencoderConfig(n_in, n_hidden, tied=tied)).to(h.device)
        def batch(h=h):
            clean = h[torch.randint(len(h), (batch_size,), generator=generator)]
            return {"x": clean if noise is None else noise(clean), "target": clean}

        train(ae, batch, steps=steps, lr=lr, weight_decay=0.0, progress=progress,
              desc=f"autoencoder {i + 1}")
        autoencoders.append(ae.eval())
        with torch.no_grad():
            h = ae.encode(h)  # the next autoencoder learns to reconstruct these codes
    return autoencoders
