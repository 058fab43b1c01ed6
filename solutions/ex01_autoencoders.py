"""Solutions to exercise 01 · Autoencoders and denoising autoencoders.

Notebook 01_autoencoders_dae trains these with ``minilm``; here you write the equations
yourself. The weights are passed in, so your functions need no ``nn.Module``:

    y = s(W x + b)        the code, s = logistic sigmoid
    z = s(W' y + b')      the reconstruction (tied weights: W' = W^T)

Shapes follow ``torch.nn.Linear``: ``W`` is [h, d], ``W'`` is [d, h] and a batch ``x``
is [B, d], so in batch form ``y = s(x @ W.T + b)``.

Fill in the four functions below (replace each ``raise NotImplementedError``), then run
the "check your exercise" cell in the notebook, or from a terminal::

    python -m minilm grade ex01
"""

from __future__ import annotations

import torch


def autoencoder_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor, W_prime: torch.Tensor | None,
                        b_prime: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode then decode a batch: return ``(y, z)``.

    Args:
        x: inputs [B, d].
        W: encoder weights [h, d]; b: encoder bias [h].
        W_prime: decoder weights [d, h], or None for tied weights (then W' = W^T).
        b_prime: decoder bias [d].

    Returns:
        ``y`` = s(x W^T + b), shape [B, h], and ``z`` = s(y W'^T + b'), shape [B, d].
        Example: x = [[1, 0]], W = [[1, -1]], biases 0, tied -> y = [[s(1)]] = [[0.731]],
        z = [[s(0.731), s(-0.731)]].

    Hint: ``torch.sigmoid``; with tied weights, W' = ``W.T``, so ``y @ W`` decodes.
    """
    y = torch.sigmoid(x @ W.T + b)                      # (B, h)
    W_prime = W.T if W_prime is None else W_prime        # (d, h)
    z = torch.sigmoid(y @ W_prime.T + b_prime)          # (B, d)
    return y, z


def reconstruction_loss(z: torch.Tensor, x: torch.Tensor, kind: str = "cross_entropy") -> torch.Tensor:
    """The reconstruction error L(x, z), summed over the d inputs, averaged over the batch.

    Args:
        z: reconstructions [B, d], every entry in (0, 1).
        x: clean targets [B, d].
        kind: "squared_error":  L = sum_k (x_k - z_k)^2
              "cross_entropy":  L = -sum_k [x_k log z_k + (1 - x_k) log(1 - z_k)]

    Returns:
        A scalar tensor: the mean over the B rows of each row's sum. Example: z = [[0.5, 0.5]],
        x = [[1, 0]] gives 0.5 (squared error) and 2 log 2 = 1.386 (cross-entropy).

    Hint: compute a [B, d] tensor of per-input errors, then ``.sum(dim=1).mean()``.
    Raise ``ValueError`` for any other ``kind``.
    """
    if kind == "squared_error":
        per_input = (x - z) ** 2
    elif kind == "cross_entropy":
        per_input = -(x * torch.log(z) + (1 - x) * torch.log(1 - z))
    else:
        raise ValueError(f"kind must be 'cross_entropy' or 'squared_error', got {kind!r}")
    return per_input.sum(dim=1).mean()


def gaussian_noise(x: torch.Tensor, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Additive isotropic Gaussian noise: ``x~ = x + std * eps`` with ``eps ~ N(0, I)``.

    Args:
        x: float tensor of any shape.
        std: the noise's standard deviation sigma >= 0.
        generator: where the randomness comes from (the same seed gives the same noise).

    Returns:
        A tensor shaped like ``x``. Draw eps with
        ``torch.randn(x.shape, generator=generator, dtype=x.dtype)`` - exactly that call,
        so the grader can compare your noise with ``minilm``'s for the same seed.
    """
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return x + std * eps


def masking_noise(x: torch.Tensor, ratio: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Masking noise (Vincent et al., 2008): in every row of ``x``, force exactly
    ``k = int(ratio * d + 0.5)`` randomly chosen components to 0; leave the rest unchanged.

    Args:
        x: float tensor [B, d] (rows are examples).
        ratio: the fraction of each row to destroy, in [0, 1].
        generator: where the randomness comes from; the chosen positions must change with
            the seed and be the same for the same seed.

    Returns:
        A new tensor shaped like ``x`` (do not modify ``x`` in place). Every position of a
        row must be equally likely to be chosen.

    Hint: give every entry a random score (``torch.rand(x.shape, generator=generator)``);
    in each row the k entries with the smallest scores are a uniformly random subset
    (``scores.argsort(dim=1)[:, :k]`` are their column indices; ``Tensor.scatter`` or
    ``masked_fill`` does the rest).
    """
    k = int(ratio * x.shape[1] + 0.5)
    scores = torch.rand(x.shape, generator=generator)
    chosen = torch.zeros(x.shape, dtype=torch.bool)
    chosen.scatter_(1, scores.argsort(dim=1)[:, :k], True)  # the k smallest scores of each row
    return x.masked_fill(chosen, 0.0)
