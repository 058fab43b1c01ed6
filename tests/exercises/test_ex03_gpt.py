"""Graded tests for exercises/ex03_gpt.py (see the notebook 03_gpt_pretraining)."""

import math

import pytest
import torch

from minilm.generate import top_k_filter as reference_top_k_filter
from minilm.grade import load_target
from minilm.models import GPT, GPTConfig, token_cross_entropy
from minilm.objectives.clm import clm_labels

ex = load_target("ex03_gpt")


def gen(seed):
    return torch.Generator().manual_seed(seed)


# tied_logits ---------------------------------------------------------------------------

def test_tied_logits_shape():
    out = ex.tied_logits(torch.zeros(2, 3, 4), torch.zeros(7, 4))
    assert out.shape == (2, 3, 7), "logits are [B, T, V]"


def test_tied_logits_hand_worked():
    h = torch.tensor([[[1.0, 2.0]]])                    # one position, d = 2
    w_e = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # V = 3
    torch.testing.assert_close(ex.tied_logits(h, w_e), torch.tensor([[[1.0, 2.0, 3.0]]]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tied_logits_equal_a_gpt_with_tied_embeddings(seed):
    torch.manual_seed(seed)
    model = GPT(GPTConfig.tiny(30, max_len=12)).eval()
    ids = torch.randint(0, 30, (2, 9), generator=gen(seed))
    out = model(ids)
    torch.testing.assert_close(ex.tied_logits(out.hidden_states, model.embed.token.weight), out.logits)


# clm_loss ------------------------------------------------------------------------------

def test_clm_loss_hand_worked():
    # two positions are scored; each puts logit log(3) on its target among V = 3 tokens with
    # logits [log 3, 0, 0] -> p(target) = 3 / 5, so the loss is -log(0.6).
    logits = torch.zeros(1, 3, 3)
    logits[0, 0, 2] = math.log(3)  # position 0 should predict input_ids[1] = 2
    logits[0, 1, 0] = math.log(3)  # position 1 should predict input_ids[2] = 0
    logits[0, 2] = torch.tensor([100.0, -100.0, 0.0])  # the last position is never scored
    loss = ex.clm_loss(logits, torch.tensor([[1, 2, 0]]))
    assert loss.dim() == 0, "the loss is a scalar"
    torch.testing.assert_close(loss, torch.tensor(-math.log(0.6)))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clm_loss_matches_minilm_on_random_batches(seed):
    g = gen(seed)
    B, T, V = (int(v) for v in torch.randint(2, 9, (3,), generator=g))
    logits = torch.randn(B, T, V, generator=g)
    ids = torch.randint(0, V, (B, T), generator=g)
    expected = token_cross_entropy(logits, clm_labels(ids))
    torch.testing.assert_close(ex.clm_loss(logits, ids), expected)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_clm_loss_ignores_padded_targets(seed):
    g = gen(seed)
    B, T, V = 3, 10, 12
    logits = torch.randn(B, T, V, generator=g)
    ids = torch.randint(0, V, (B, T), generator=g)
    lengths = torch.randint(2, T + 1, (B,), generator=g)
    mask = (torch.arange(T) < lengths[:, None]).long()
    expected = token_cross_entropy(logits, clm_labels(ids, mask))
    torch.testing.assert_close(ex.clm_loss(logits, ids, mask), expected)
    # what sits in the padding cannot matter
    noisy = ids.masked_fill(mask == 0, 7)
    torch.testing.assert_close(ex.clm_loss(logits, noisy, mask), expected)


def test_clm_loss_is_the_gpt_loss():
    torch.manual_seed(0)
    model = GPT(GPTConfig.tiny(25, max_len=12)).eval()
    ids = torch.randint(0, 25, (3, 11), generator=gen(8))
    out = model(ids, labels=clm_labels(ids))
    torch.testing.assert_close(ex.clm_loss(out.logits, ids), out.loss)


# top_k_filter --------------------------------------------------------------------------

def test_top_k_filter_hand_worked():
    out = ex.top_k_filter(torch.tensor([2.0, -1.0, 0.5, 3.0]), 2)
    assert out.tolist() == [2.0, float("-inf"), float("-inf"), 3.0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_top_k_filter_matches_minilm_and_keeps_exactly_k(seed):
    g = gen(seed)
    rows, V = (int(v) for v in torch.randint(2, 20, (2,), generator=g))
    k = int(torch.randint(1, V + 1, (1,), generator=g))
    logits = torch.randn(rows, V, generator=g)
    original = logits.clone()
    out = ex.top_k_filter(logits, k)
    assert torch.equal(logits, original), "do not modify logits in place"
    assert out.shape == logits.shape
    assert torch.isfinite(out).sum(-1).tolist() == [k] * rows, "exactly k tokens per row survive"
    assert torch.equal(out, reference_top_k_filter(logits, k))


def test_top_k_filter_leading_dimensions_and_large_k():
    logits = torch.randn(2, 3, 6, generator=gen(9))
    torch.testing.assert_close(ex.top_k_filter(logits, 4), reference_top_k_filter(logits, 4))
    torch.testing.assert_close(ex.top_k_filter(logits, 50), logits)


def test_top_k_filter_sampling_never_picks_a_filtered_token():
    logits = torch.randn(1, 10, generator=gen(10)).expand(2000, -1)
    probs = ex.top_k_filter(logits, 3).softmax(-1)
    picks = torch.multinomial(probs, 1, generator=gen(11)).flatten()
    assert set(picks.tolist()) <= set(logits[0].topk(3).indices.tolist())
