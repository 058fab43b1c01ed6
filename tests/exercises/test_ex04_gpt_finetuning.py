"""Graded tests for exercises/ex04_gpt_finetuning.py (see the notebook 04_gpt_finetuning_formats)."""

import pytest
import torch

from minilm.finetune import SpecialIds, auxiliary_loss, multiple_choice_ids, similarity_ids
from minilm.grade import load_target
from minilm.models import token_cross_entropy
from minilm.objectives.clm import clm_labels

ex = load_target("ex04_gpt_finetuning")


def gen(seed):
    return torch.Generator().manual_seed(seed)


def random_ids(g, low=0, high=8):
    n = int(torch.randint(low, high, (1,), generator=g))
    return torch.randint(20, 200, (n,), generator=g).tolist()


def random_specials(g):
    start, delim, extract = torch.randperm(20, generator=g)[:3].tolist()
    return start, delim, extract


# similarity_format ---------------------------------------------------------------------

def test_similarity_format_hand_worked():
    out = ex.similarity_format([11, 12], [13], 5, 6, 7)
    assert tuple(map(list, out)) == ([5, 11, 12, 6, 13, 7], [5, 13, 6, 11, 12, 7])


@pytest.mark.parametrize("seed", range(5))
def test_similarity_format_matches_minilm(seed):
    g = gen(seed)
    a, b = random_ids(g), random_ids(g)
    s = random_specials(g)
    ab, ba = ex.similarity_format(a, b, *s)
    assert (list(ab), list(ba)) == similarity_ids(a, b, SpecialIds(*s))


def test_similarity_format_orders_are_mirror_images():
    g = gen(7)
    a, b = random_ids(g, 1), random_ids(g, 1)
    ab, ba = ex.similarity_format(a, b, 1, 2, 3)
    assert list(ab) == [1, *a, 2, *b, 3] and list(ba) == [1, *b, 2, *a, 3]
    assert len(ab) == len(ba) == len(a) + len(b) + 3


# multiple_choice_format ----------------------------------------------------------------

def test_multiple_choice_format_hand_worked():
    out = ex.multiple_choice_format([20, 21], [30], [[40], [41, 42]], 5, 6, 7)
    assert [list(seq) for seq in out] == [[5, 20, 21, 6, 30, 6, 40, 7], [5, 20, 21, 6, 30, 6, 41, 42, 7]]


@pytest.mark.parametrize("seed", range(5))
def test_multiple_choice_format_matches_minilm(seed):
    g = gen(seed)
    context, question = random_ids(g, 1, 30), random_ids(g, 1, 8)
    options = [random_ids(g, 1, 4) for _ in range(int(torch.randint(2, 6, (1,), generator=g)))]
    s = random_specials(g)
    out = ex.multiple_choice_format(context, question, options, *s)
    assert [list(seq) for seq in out] == multiple_choice_ids(context, question, options, SpecialIds(*s))


def test_multiple_choice_format_needs_two_options():
    with pytest.raises(ValueError):
        ex.multiple_choice_format([20], [30], [[40]], 5, 6, 7)
    assert len(ex.multiple_choice_format([20], [30], [[40], [41]], 5, 6, 7)) == 2


# combined_loss -------------------------------------------------------------------------

def random_batch(seed):
    g = gen(seed)
    B, T, V, C = 4, 9, 15, 3
    lengths = torch.randint(3, T + 1, (B,), generator=g)
    mask = (torch.arange(T) < lengths[:, None]).long()
    return {"class_logits": torch.randn(B, C, generator=g),
            "labels": torch.randint(0, C, (B,), generator=g),
            "lm_logits": torch.randn(B, T, V, generator=g),
            "input_ids": torch.randint(0, V, (B, T), generator=g),
            "attention_mask": mask}


def reference(batch, lm_weight):
    task = torch.nn.functional.cross_entropy(batch["class_logits"], batch["labels"])
    lm = token_cross_entropy(batch["lm_logits"], clm_labels(batch["input_ids"], batch["attention_mask"]))
    return auxiliary_loss(task, lm, lm_weight)


def test_combined_loss_with_zero_weight_is_the_task_loss():
    batch = random_batch(0)
    out = ex.combined_loss(**batch, lm_weight=0.0)
    assert out.dim() == 0, "the loss is a scalar"
    torch.testing.assert_close(out, torch.nn.functional.cross_entropy(batch["class_logits"], batch["labels"]))


@pytest.mark.parametrize("seed", range(4))
def test_combined_loss_matches_minilm(seed):
    batch = random_batch(seed)
    lm_weight = float(torch.rand(1, generator=gen(100 + seed)))
    torch.testing.assert_close(ex.combined_loss(**batch, lm_weight=lm_weight), reference(batch, lm_weight))
    torch.testing.assert_close(ex.combined_loss(**batch, lm_weight=0.5), reference(batch, 0.5))


def test_combined_loss_is_linear_in_lambda_and_ignores_padding():
    batch = random_batch(5)
    l0, l1, lh = (ex.combined_loss(**batch, lm_weight=w) for w in (0.0, 1.0, 0.5))
    torch.testing.assert_close(lh, (l0 + l1) / 2)
    noisy = dict(batch, input_ids=batch["input_ids"].masked_fill(batch["attention_mask"] == 0, 3))
    torch.testing.assert_close(ex.combined_loss(**noisy, lm_weight=1.0), l1)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_combined_loss_rejects_lambda_outside_0_1(bad):
    batch = random_batch(6)
    ex.combined_loss(**batch, lm_weight=1.0)  # a valid call first (fails while unsolved)
    with pytest.raises(ValueError):
        ex.combined_loss(**batch, lm_weight=bad)
