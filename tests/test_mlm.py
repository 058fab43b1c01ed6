"""BERT's masking (80/10/10) and the encoder-only masked LM that trains on it."""

import math

import pytest
import torch

from minilm.models import GPT, IGNORE_INDEX, EncoderConfig, EncoderLM, GPTConfig
from minilm.objectives.mlm import mask_tokens
from minilm.train import train

V, MASK, SPECIALS = 1000, 4, (0, 1, 2, 3, 4)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def big_batch(gen, B=200, T=500):
    ids = torch.randint(len(SPECIALS), V, (B, T), generator=gen)
    ids[:, 0], ids[:, -1] = 2, 3      # [CLS] ... [SEP]
    ids[:, -40:-1] = 0                # padding
    return ids


# ----------------------------------------------------------------- exact properties
def test_labels_are_originals_exactly_at_chosen_positions(gen):
    ids = big_batch(gen, 20, 100)
    inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS, generator=gen)
    assert inputs.shape == labels.shape == ids.shape and inputs.dtype == ids.dtype
    chosen = labels != IGNORE_INDEX
    assert chosen.any()
    assert torch.equal(labels[chosen], ids[chosen])
    assert torch.equal(inputs[~chosen], ids[~chosen])  # unchosen tokens are never touched


def test_specials_and_padding_never_chosen_nor_drawn(gen):
    ids = big_batch(gen)
    inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=V, mlm_probability=0.5,
                                 special_ids=SPECIALS, generator=gen)
    special = torch.isin(ids, torch.tensor(SPECIALS))
    assert (labels[special] == IGNORE_INDEX).all()
    chosen = labels != IGNORE_INDEX
    replaced = chosen & (inputs != MASK) & (inputs != ids)   # the random-token positions
    assert replaced.any()
    assert not torch.isin(inputs[replaced], torch.tensor(SPECIALS)).any()


def test_attention_mask_excludes_padding_even_without_special_ids(gen):
    ids = torch.randint(5, V, (50, 30), generator=gen)
    attention_mask = torch.ones_like(ids)
    attention_mask[:, 20:] = 0
    _, labels = mask_tokens(ids, mask_id=MASK, vocab_size=V, mlm_probability=1.0,
                            attention_mask=attention_mask, generator=gen)
    assert (labels[:, 20:] == IGNORE_INDEX).all()
    assert (labels[:, :20] != IGNORE_INDEX).all()


def test_probability_extremes(gen):
    ids = torch.randint(5, V, (8, 16), generator=gen)
    _, labels = mask_tokens(ids, mask_id=MASK, vocab_size=V, mlm_probability=0.0, generator=gen)
    assert (labels == IGNORE_INDEX).all()
    inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=V, mlm_probability=1.0,
                                 mask_replace_prob=1.0, random_replace_prob=0.0, generator=gen)
    assert torch.equal(labels, ids) and (inputs == MASK).all()


def test_one_dimensional_input(gen):
    ids = torch.arange(5, 25)
    inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=V, mlm_probability=0.5, generator=gen)
    assert inputs.shape == labels.shape == (20,)


# -------------------------------------------------------------------- statistics
def test_fifteen_percent_and_80_10_10_within_5_sigma(gen):
    ids = big_batch(gen)
    inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS, generator=gen)
    eligible = ~torch.isin(ids, torch.tensor(SPECIALS))
    n = int(eligible.sum())
    chosen = labels != IGNORE_INDEX
    rate = chosen.sum().item() / n
    assert abs(rate - 0.15) < 5 * math.sqrt(0.15 * 0.85 / n), rate

    m = int(chosen.sum())
    n_allowed = V - len(SPECIALS)
    to_mask = (inputs[chosen] == MASK).float().mean().item()
    to_random = ((inputs[chosen] != MASK) & (inputs[chosen] != ids[chosen])).float().mean().item()
    unchanged = (inputs[chosen] == ids[chosen]).float().mean().item()
    # A random draw equals the original with probability 1 / n_allowed: it then looks unchanged.
    expected = {"mask": 0.8, "random": 0.1 * (1 - 1 / n_allowed), "unchanged": 0.1 + 0.1 / n_allowed}
    for name, p, got in [("mask", expected["mask"], to_mask), ("random", expected["random"], to_random),
                         ("unchanged", expected["unchanged"], unchanged)]:
        assert abs(got - p) < 5 * math.sqrt(p * (1 - p) / m), (name, got, p)


def test_random_tokens_are_uniform_over_non_special_ids(gen):
    ids = torch.full((400, 500), 10)
    inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=20, mlm_probability=1.0,
                                 mask_replace_prob=0.0, random_replace_prob=1.0,
                                 special_ids=SPECIALS, generator=gen)
    counts = torch.bincount(inputs.flatten(), minlength=20).float()
    assert counts[list(SPECIALS)].sum() == 0
    p = 1 / 15
    n = inputs.numel()
    assert ((counts[5:] / n - p).abs() < 5 * math.sqrt(p * (1 - p) / n)).all(), counts


def test_seeded_generator_is_deterministic():
    ids = torch.randint(5, V, (4, 64), generator=torch.Generator().manual_seed(1))

    def run(seed):
        return mask_tokens(ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS,
                           generator=torch.Generator().manual_seed(seed))

    a, b, c = run(0), run(0), run(1)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs,error,name", [
    ({"mask_id": V}, ValueError, "mask_id"),
    ({"mlm_probability": 1.5}, ValueError, "mlm_probability"),
    ({"mask_replace_prob": 0.95, "random_replace_prob": 0.1}, ValueError, "mask_replace_prob"),
    ({"special_ids": ("a",)}, TypeError, "special_ids"),
    ({"generator": 0}, TypeError, "generator"),
    ({"attention_mask": torch.ones(2, 3)}, ValueError, "attention_mask"),
])
def test_bad_arguments_are_named(kwargs, error, name):
    ids = torch.randint(5, V, (2, 8))
    args = {"mask_id": MASK, "vocab_size": V, **kwargs}
    with pytest.raises(error, match=name):
        mask_tokens(ids, **args)


def test_bad_input_ids_are_named():
    with pytest.raises(TypeError, match="input_ids"):
        mask_tokens(torch.rand(2, 8), mask_id=MASK, vocab_size=V)
    with pytest.raises(ValueError, match="input_ids"):
        mask_tokens(torch.full((2, 8), V), mask_id=MASK, vocab_size=V)


# ------------------------------------------------------------ the encoder model
def test_encoder_is_bidirectional_and_gpt_is_not():
    torch.manual_seed(0)
    ids = torch.randint(5, 50, (1, 10))
    later = ids.clone()
    later[0, 7] = (ids[0, 7] + 1 - 5) % 45 + 5   # change a later token
    enc, gpt = EncoderLM(EncoderConfig.tiny(50)).eval(), GPT(GPTConfig.tiny(50)).eval()
    with torch.no_grad():
        e0, e1 = enc(ids).logits, enc(later).logits
        g0, g1 = gpt(ids).logits, gpt(later).logits
    assert not torch.allclose(e0[0, :7], e1[0, :7])      # earlier positions see the change
    torch.testing.assert_close(g0[0, :7], g1[0, :7])     # a causal model's do not


def test_encoder_padding_invariance():
    torch.manual_seed(0)
    model = EncoderLM(EncoderConfig.tiny(50)).eval()
    ids = torch.randint(5, 50, (1, 9))
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    attention_mask = torch.cat([torch.ones(1, 9), torch.zeros(1, 4)], dim=1).long()
    with torch.no_grad():
        plain = model(ids).logits
        with_pad = model(padded, attention_mask=attention_mask).logits
    torch.testing.assert_close(with_pad[:, :9], plain, atol=1e-5, rtol=1e-5)


def test_masked_lm_loss_goes_down():
    """A corpus where the token after `a` is always `a + 1`: both neighbours give it away."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    vocab = 40
    model = EncoderLM(EncoderConfig.tiny(vocab, d_model=32, n_layers=1))

    def batch():
        start = torch.randint(5, vocab - 12, (32, 1), generator=gen)
        ids = start + torch.arange(12)
        inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=vocab, special_ids=SPECIALS,
                                     mlm_probability=0.2, generator=gen)
        return {"input_ids": inputs, "labels": labels}

    history = train(model, batch, steps=120, lr=1e-2, progress=False)
    first, last = sum(history.train_loss[:10]) / 10, sum(history.train_loss[-10:]) / 10
    # last / first over seeds 0-5, 1 thread: 0.36 ... 0.44 (mean 0.40, sd 0.03); the last
    # batch alone was 0.42 ... 0.48, too close to the 0.5 this test used to ask for.
    assert last < 0.55 * first, (first, last)


# -------------------------------------------------- huge vocabularies: no loop over ids
def reference_mask_tokens(ids, vocab_size, special_ids, generator):
    """The three draws of mask_tokens written out with an explicit list of allowed ids."""
    chosen = torch.rand(ids.shape, generator=generator) < 0.15
    u = torch.rand(ids.shape, generator=generator)
    allowed = torch.tensor([i for i in range(vocab_size) if i not in set(special_ids)])
    picks = allowed[torch.randint(len(allowed), ids.shape, generator=generator)]
    can = ~torch.isin(ids, torch.tensor(sorted(set(special_ids))))
    chosen &= can
    to_mask, to_random = chosen & (u < 0.8), chosen & (u >= 0.8) & (u < 0.9)
    inputs = torch.where(to_random, picks, ids.masked_fill(to_mask, MASK))
    return inputs, ids.masked_fill(~chosen, IGNORE_INDEX)


@pytest.mark.parametrize("vocab_size, special_ids", [(20, SPECIALS), (30, (3, 3, 29, 11, 50)), (12, ())])
def test_random_ids_equal_drawing_from_the_list_of_allowed_ids(vocab_size, special_ids):
    for seed in range(20):
        ids = torch.randint(0, vocab_size, (6, 40), generator=torch.Generator().manual_seed(seed))
        got = mask_tokens(ids, mask_id=MASK, vocab_size=vocab_size, special_ids=special_ids,
                          generator=torch.Generator().manual_seed(seed))
        want = reference_mask_tokens(ids, vocab_size, special_ids, torch.Generator().manual_seed(seed))
        assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])


def test_a_billion_token_vocabulary_needs_no_list_of_ids(gen):
    # Before: a Python loop over 10**9 ids, rebuilding set(special_ids) for each one.
    ids = torch.randint(5, 10**9, (4, 300), generator=gen)
    specials = (0, 1, 2, 3, 4, 10**9 - 1)
    inputs, labels = mask_tokens(ids, mask_id=MASK, vocab_size=10**9, special_ids=specials,
                                 mlm_probability=1.0, mask_replace_prob=0.0, random_replace_prob=1.0,
                                 generator=gen)
    assert not torch.isin(inputs, torch.tensor(specials)).any()
    assert int(inputs.min()) >= 5 and int(inputs.max()) < 10**9 - 1
    assert torch.equal(labels, ids)
    assert (inputs != ids).float().mean() > 0.99  # fresh random ids from a billion


def test_objectives_import_nothing_from_models():
    import subprocess
    import sys

    code = ("import sys, minilm.objectives.mlm, minilm.objectives.clm, minilm.objectives.blank_infilling, "
            "minilm.objectives.denoising, minilm.objectives.span_corruption, minilm.objectives.directions, "
            "minilm.objectives.nsp, minilm.objectives.autoencoding; "
            "print(sorted(m for m in sys.modules if m.startswith('minilm.models')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
