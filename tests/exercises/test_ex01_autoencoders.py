"""Graded tests for exercises/ex01_autoencoders.py (see the notebook 01_autoencoders_dae).

Every test is named ``test_<function>_...`` after the function it grades. Statistical bounds
are 5 sigma (a two-sided normal tail of 6e-7 per comparison; < 1e-4 over the file).
"""

import math

import pytest
import torch

from minilm.grade import load_target
from minilm.models.autoencoder import autoencode
from minilm.models.autoencoder import reconstruction_loss as reference_loss
from minilm.objectives.autoencoding import gaussian_noise as reference_gaussian

ex = load_target("ex01_autoencoders")


def sig(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def random_weights(seed: int, d: int = 7, h: int = 3, tied: bool = True):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(5, d, generator=g)
    W, b = torch.randn(h, d, generator=g), torch.randn(h, generator=g)
    W_prime = None if tied else torch.randn(d, h, generator=g)
    return x, W, b, W_prime, torch.randn(d, generator=g)


# autoencoder_forward -------------------------------------------------------------------

def test_autoencoder_forward_shapes():
    x, W, b, W_prime, b_prime = random_weights(0, d=7, h=3, tied=False)
    y, z = ex.autoencoder_forward(x, W, b, W_prime, b_prime)
    assert y.shape == (5, 3), "y is [B, h]"
    assert z.shape == (5, 7), "z is [B, d]"


def test_autoencoder_forward_hand_worked_tied():
    x = torch.tensor([[1.0, 0.0]])
    y, z = ex.autoencoder_forward(x, torch.tensor([[1.0, -1.0]]), torch.zeros(1), None, torch.zeros(2))
    y0 = sig(1.0)
    torch.testing.assert_close(y, torch.tensor([[y0]]))
    torch.testing.assert_close(z, torch.tensor([[sig(y0), sig(-y0)]]))


@pytest.mark.parametrize("seed,tied", [(1, True), (2, False), (3, True), (4, False)])
def test_autoencoder_forward_matches_minilm(seed, tied):
    x, W, b, W_prime, b_prime = random_weights(seed, tied=tied)
    y, z = ex.autoencoder_forward(x, W, b, W_prime, b_prime)
    y_ref, z_ref = autoencode(x, W, b, W_prime, b_prime)
    torch.testing.assert_close(y, y_ref)
    torch.testing.assert_close(z, z_ref)


# reconstruction_loss -------------------------------------------------------------------

def test_reconstruction_loss_hand_worked():
    z, x = torch.tensor([[0.5, 0.5]]), torch.tensor([[1.0, 0.0]])
    assert float(ex.reconstruction_loss(z, x, "squared_error")) == pytest.approx(0.5, rel=1e-5)
    assert float(ex.reconstruction_loss(z, x, "cross_entropy")) == pytest.approx(2 * math.log(2), rel=1e-5)


@pytest.mark.parametrize("seed", [5, 6, 7])
@pytest.mark.parametrize("kind", ["squared_error", "cross_entropy"])
def test_reconstruction_loss_matches_minilm(seed, kind):
    g = torch.Generator().manual_seed(seed)
    z = torch.rand(6, 9, generator=g) * 0.98 + 0.01
    x = torch.rand(6, 9, generator=g)
    out = ex.reconstruction_loss(z, x, kind)
    assert out.dim() == 0, "the loss is a scalar"
    torch.testing.assert_close(out, reference_loss(z, x, kind=kind), rtol=1e-4, atol=1e-5)


def test_reconstruction_loss_rejects_unknown_kind():
    z = torch.full((2, 3), 0.5)
    ex.reconstruction_loss(z, z, "squared_error")  # must work first (a stub fails here)
    with pytest.raises(ValueError):
        ex.reconstruction_loss(z, z, "l1")


# gaussian_noise --------------------------------------------------------------------------

@pytest.mark.parametrize("seed,std", [(0, 0.1), (1, 0.5), (2, 1.0)])
def test_gaussian_noise_matches_minilm_for_the_same_seed(seed, std):
    x = torch.rand(4, 10, generator=torch.Generator().manual_seed(100 + seed))
    out = ex.gaussian_noise(x, std, torch.Generator().manual_seed(seed))
    ref = reference_gaussian(x, std=std, generator=torch.Generator().manual_seed(seed))
    assert out.shape == x.shape
    torch.testing.assert_close(out, ref)


def test_gaussian_noise_statistics():
    x = torch.rand(100, 400, generator=torch.Generator().manual_seed(3))
    eps = (ex.gaussian_noise(x, 0.3, torch.Generator().manual_seed(4)) - x).flatten()
    assert abs(float(eps.mean())) < 5 * 0.3 / math.sqrt(eps.numel()), "the noise has mean 0"
    assert float(eps.std()) == pytest.approx(0.3, rel=0.02), "the noise has standard deviation std"


# masking_noise ---------------------------------------------------------------------------

@pytest.mark.parametrize("ratio,d,k", [(0.5, 4, 2), (0.25, 8, 2), (0.0, 6, 0), (1.0, 5, 5), (0.3, 64, 19),
                                       (0.3, 5, 2), (0.45, 10, 5)])
def test_masking_noise_zeroes_exactly_k_per_row(ratio, d, k):
    x = torch.rand(30, d, generator=torch.Generator().manual_seed(d)) + 0.5   # no zeros to start with
    original = x.clone()
    out = ex.masking_noise(x, ratio, torch.Generator().manual_seed(1))
    assert out.shape == x.shape
    assert torch.equal(x, original), "do not modify x in place"
    assert ((out == 0).sum(dim=1) == k).all(), f"each row needs exactly {k} zeros"
    kept = out != 0
    assert torch.equal(out[kept], x[kept]), "the other entries stay unchanged"


def test_masking_noise_positions_are_uniform():
    x = torch.ones(20000, 10)
    freq = (ex.masking_noise(x, 0.3, torch.Generator().manual_seed(2)) == 0).float().mean(0)
    sigma = math.sqrt(0.3 * 0.7 / 20000)
    assert ((freq - 0.3).abs() < 5 * sigma).all(), f"per-position masking rates {freq.tolist()}"


def test_masking_noise_chooses_a_uniformly_random_subset():
    """Not only is every position equally likely: every PAIR of positions is masked together
    equally often, k (k - 1) / (d (d - 1)), as for a uniformly random k-subset. A block of
    neighbours (or any other structured choice) has the right per-position rates but not this."""
    d, k, rows = 10, 3, 20000
    zeros = (ex.masking_noise(torch.ones(rows, d), k / d, torch.Generator().manual_seed(5)) == 0).float()
    together = (zeros.T @ zeros) / rows  # [d, d]: how often positions i and j are masked together
    p = k * (k - 1) / (d * (d - 1))
    sigma = math.sqrt(p * (1 - p) / rows)
    off_diagonal = ~torch.eye(d, dtype=torch.bool)
    worst = float((together - p).abs()[off_diagonal].max())
    assert worst < 5 * sigma, f"pairs are masked together {together[off_diagonal].min():.3f} .. " \
                              f"{together[off_diagonal].max():.3f} of the time, expected {p:.3f}"


def test_masking_noise_follows_the_generator():
    x = torch.rand(8, 20, generator=torch.Generator().manual_seed(0)) + 0.5
    a = ex.masking_noise(x, 0.4, torch.Generator().manual_seed(7))
    b = ex.masking_noise(x, 0.4, torch.Generator().manual_seed(7))
    c = ex.masking_noise(x, 0.4, torch.Generator().manual_seed(8))
    assert torch.equal(a, b), "the same seed must give the same noise"
    assert not torch.equal(a, c), "another seed must give other positions"
