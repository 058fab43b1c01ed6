"""Corruption for denoising autoencoders (Vincent et al., 2008; 2010).

A denoising autoencoder (DAE) is trained to undo damage: it reads a corrupted input
x~ ~ q(x~ | x) and must reconstruct the *clean* x. The two corruptions of the papers:

* additive isotropic Gaussian noise (Vincent et al., 2010, Sec. 4.2)::

      x~ | x  ~  N(x, sigma^2 I)

* masking noise (Vincent et al., 2008, Sec. 2.3): "a fixed number nu*d of components of x
  are chosen at random, and their value is forced to 0". Here that number is
  ``round(ratio * d)`` per row, exactly, not a Bernoulli draw per component, so every
  corrupted example hides the same amount of information.

Masking noise on *token ids*, with the [MASK] id in place of 0, is the noise of a masked
language model: BERT is a denoising autoencoder over text (see ``minilm.objectives.mlm``).

Worked example, ``masking_noise(x, ratio=0.5)`` on one row of 6 inputs::

    x  = [0.9, 0.1, 0.8, 0.7, 0.2, 0.6]
    x~ = [0.9, 0.0, 0.0, 0.7, 0.0, 0.6]     # round(0.5 * 6) = 3 components forced to 0
"""

from __future__ import annotations

import torch

from minilm.checks import check_generator, check_probability, check_tensor


def gaussian_noise(x: torch.Tensor, *, std: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """``x + std * eps`` with ``eps ~ N(0, I)``: additive isotropic Gaussian noise.

    ``x`` is any float tensor; the result has its shape and dtype. Values are not clipped,
    so pixels in [0, 1] can leave that range (the reconstruction target stays clean).
    """
    check_tensor(x, "x")
    if not x.is_floating_point():
        raise TypeError(f"x must be a float tensor, got {x.dtype}")
    if isinstance(std, bool) or not isinstance(std, (int, float)):
        raise TypeError(f"std must be a number >= 0, got {type(std).__name__}")
    if not std >= 0:  # also rejects NaN
        raise ValueError(f"std must be >= 0, got {std}")
    check_generator(generator)
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return x + std * eps.to(x.device)


def choose_exactly(shape: torch.Size | tuple[int, ...], ratio: float, *,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """Bool mask of ``shape`` with exactly ``round(ratio * shape[-1])`` True entries per row.

    The positions are a uniformly random subset of each row: rank random scores and
    keep the smallest ones.
    """
    check_probability(ratio, "ratio")
    check_generator(generator)
    n = shape[-1]
    k = int(ratio * n + 0.5)  # round half up (Python's round() would round 0.5 to even)
    scores = torch.rand(shape, generator=generator)
    ranks = scores.argsort(dim=-1).argsort(dim=-1)  # rank of each score within its row
    return ranks < k


def masking_noise(x: torch.Tensor, *, ratio: float, value: float | int = 0.0,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Force exactly ``round(ratio * d)`` randomly chosen components of each row to ``value``.

    ``x`` is ``[..., d]``: each row along the last dimension loses the same number of
    components (Vincent et al.'s fixed nu*d). ``value`` is 0 for images; for token ids
    pass the [MASK] id and the result is the input of a masked language model.
    """
    check_tensor(x, "x")
    if x.dtype == torch.bool:
        raise TypeError("x must be a float or integer tensor, got torch.bool")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"value must be a number, got {type(value).__name__}")
    if not x.is_floating_point() and not isinstance(value, int):
        raise TypeError(f"x holds integers (token ids), so value must be an int (the [MASK] id), "
                        f"got {value!r}")
    chosen = choose_exactly(x.shape, ratio, generator=generator).to(x.device)
    return x.masked_fill(chosen, value)
