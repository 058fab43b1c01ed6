"""T5 span corruption: the paper's Fig. 2 example, T5's noise-mask counts, reconstruction."""

import math
from collections import Counter

import pytest
import torch

from minilm.objectives import span_corruption as t5

SENTINELS = list(range(900, 910))  # <extra_id_0> ... <extra_id_9>
EOS = 1


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def runs(mask):
    """Lengths of the runs of True, counted by hand (independent of noise_spans)."""
    out, current = [], 0
    for m in mask.tolist() + [False]:
        if m:
            current += 1
        elif current:
            out.append(current)
            current = 0
    return out


def rebuild(inputs, targets, sentinels=SENTINELS):
    """Undo span corruption: put each sentinel's target segment back where the sentinel is."""
    segments, current = {}, None
    for t in targets:
        if t in sentinels:
            current = t
            segments[current] = []
        else:
            segments[current].append(t)
    out = []
    for t in inputs:
        out += segments[t] if t in sentinels else [t]
    return out


def test_paper_figure_2_example():
    words = ["Thank", "you", "for", "inviting", "me", "to", "your", "party", "last", "week", "."]
    vocab = {w: i + 10 for i, w in enumerate(words)}
    X, Y, Z = SENTINELS[:3]
    ids = torch.tensor([vocab[w] for w in words])
    # "for inviting" and "last" are dropped
    noise = torch.tensor([w in ("for", "inviting", "last") for w in words])
    inputs, targets = t5.span_corruption(ids, sentinel_ids=SENTINELS, noise_mask=noise)
    v = vocab
    # Thank you <X> me to your party <Y> week .
    assert inputs.tolist() == [v["Thank"], v["you"], X, v["me"], v["to"], v["your"], v["party"], Y,
                               v["week"], v["."]]
    # <X> for inviting <Y> last <Z>
    assert targets.tolist() == [X, v["for"], v["inviting"], Y, v["last"], Z]


def test_eos_is_appended_to_both():
    ids = torch.tensor([10, 11, 12, 13])
    noise = torch.tensor([False, True, False, False])
    inputs, targets = t5.span_corruption(ids, sentinel_ids=SENTINELS, noise_mask=noise, eos_id=EOS)
    assert inputs.tolist() == [10, 900, 12, 13, EOS]
    assert targets.tolist() == [900, 11, 901, EOS]


def test_noise_mask_single_span_is_forced_to_the_end():
    # length 10, density 0.3 -> 3 noise tokens, round(3 / 3) = 1 span; kept/noise alternate
    # starting with kept, so the only possible mask is 7 kept then 3 noise.
    for seed in range(5):
        mask = t5.random_spans_noise_mask(10, noise_density=0.3, generator=gen(seed))
        assert mask.tolist() == [False] * 7 + [True] * 3


@pytest.mark.parametrize("length, density, mean", [(128, 0.15, 3.0), (50, 0.5, 2.0), (37, 0.15, 3.0),
                                                   (512, 0.15, 3.0), (20, 0.3, 1.0)])
def test_noise_mask_counts_match_t5(length, density, mean):
    num_noise = min(max(round(length * density), 1), length - 1)
    num_spans = max(round(num_noise / mean), 1)
    for seed in range(10):
        mask = t5.random_spans_noise_mask(length, noise_density=density, mean_span_length=mean,
                                          generator=gen(seed))
        assert mask.dtype == torch.bool and mask.shape == (length,)
        assert int(mask.sum()) == num_noise
        assert len(runs(mask)) == num_spans
        assert not mask[0] and mask[-1]  # kept first, noise last (T5 without random_roll)
        assert t5.noise_spans(mask) == [(s, e) for s, e in zip(
            [i for i in range(length) if mask[i] and (i == 0 or not mask[i - 1])],
            [i + 1 for i in range(length) if mask[i] and (i == length - 1 or not mask[i + 1])], strict=True)]


def test_noise_span_lengths_are_a_uniform_composition():
    # length 20, density 0.3: 6 noise tokens in 2 spans -> first span has 1..5 tokens, each w.p. 1/5
    g = gen(2)
    counts = Counter(runs(t5.random_spans_noise_mask(20, noise_density=0.3, generator=g))[0]
                     for _ in range(2500))
    assert set(counts) == {1, 2, 3, 4, 5}
    chi2 = sum((counts[k] - 500) ** 2 / 500 for k in range(1, 6))
    assert chi2 < 30  # 4 degrees of freedom, P(chi2 > 30) ~ 5e-6


def test_random_roll_keeps_the_count_and_frees_the_end():
    g = gen(3)
    masks = [t5.random_spans_noise_mask(40, random_roll=True, generator=g) for _ in range(200)]
    assert all(int(m.sum()) == 6 for m in masks)
    ends_noise = sum(bool(m[-1]) for m in masks) / len(masks)
    assert 0.05 < ends_noise < 0.4  # ~ 6 / 40 instead of always


def test_noise_mask_degenerate_lengths():
    assert t5.random_spans_noise_mask(1, generator=gen()).tolist() == [False]
    assert t5.random_spans_noise_mask(2, generator=gen()).tolist() == [False, True]
    assert not t5.random_spans_noise_mask(30, noise_density=0.0).any()


@pytest.mark.parametrize("seed", range(15))
def test_inputs_and_targets_rebuild_the_original(seed):
    n = 20 + 9 * seed
    ids = torch.randint(10, 800, (n,), generator=gen(seed))
    inputs, targets = t5.span_corruption(ids, sentinel_ids=SENTINELS[:6] + list(range(910, 960)),
                                         generator=gen(seed + 100))
    sentinels = SENTINELS[:6] + list(range(910, 960))
    assert rebuild(inputs.tolist(), targets.tolist(), sentinels) == ids.tolist()
    num_spans = sum(t in sentinels for t in inputs.tolist())
    # T5's masks end with noise, so the targets end with the last span: no closing sentinel
    assert targets.tolist()[-1] == ids.tolist()[-1]
    assert [t for t in targets.tolist() if t in sentinels] == sentinels[:num_spans]  # in order
    assert len(inputs) + len(targets) == n + 2 * num_spans


def test_span_corruption_is_seeded():
    ids = torch.arange(10, 110)
    a = t5.span_corruption(ids, sentinel_ids=SENTINELS, generator=gen(4))
    c = t5.span_corruption(ids, sentinel_ids=SENTINELS, generator=gen(4))
    assert torch.equal(a[0], c[0]) and torch.equal(a[1], c[1])
    others = [t5.span_corruption(ids, sentinel_ids=SENTINELS, generator=gen(s))[0] for s in range(5, 10)]
    assert any(not torch.equal(a[0], o) for o in others)


def test_no_noise_keeps_the_input_and_targets_only_the_sentinel():
    ids = torch.arange(10, 20)
    inputs, targets = t5.span_corruption(ids, sentinel_ids=SENTINELS, noise_density=0.0)
    assert torch.equal(inputs, ids) and targets.tolist() == [SENTINELS[0]]


def test_noise_rate_over_many_samples():
    g = gen(5)
    total = sum(int(t5.random_spans_noise_mask(100, generator=g).sum()) for _ in range(50))
    assert total == 50 * 15  # exact, not just on average
    assert math.isclose(total / 5000, 0.15)


@pytest.mark.parametrize("call, error, name", [
    (lambda: t5.random_spans_noise_mask(10, noise_density=1.5), ValueError, "noise_density"),
    (lambda: t5.random_spans_noise_mask(10, mean_span_length=0.5), ValueError, "mean_span_length"),
    (lambda: t5.random_spans_noise_mask(0), ValueError, "length"),
    (lambda: t5.random_spans_noise_mask(10.0), TypeError, "length"),
    (lambda: t5.random_spans_noise_mask(10, generator="seed"), TypeError, "generator"),
    (lambda: t5.span_corruption(torch.arange(100), sentinel_ids=[900]), ValueError, "sentinel_ids"),
    (lambda: t5.span_corruption(torch.arange(30), sentinel_ids="<X>"), TypeError, "sentinel_ids"),
    (lambda: t5.span_corruption(torch.arange(6).view(2, 3), sentinel_ids=SENTINELS), ValueError, "ids"),
    (lambda: t5.span_corruption(torch.tensor([], dtype=torch.long), sentinel_ids=SENTINELS),
     ValueError, "ids"),
    (lambda: t5.span_corruption(torch.arange(5), sentinel_ids=SENTINELS,
                                noise_mask=torch.zeros(4, dtype=torch.bool)), ValueError, "noise_mask"),
    (lambda: t5.span_corruption(torch.arange(5), sentinel_ids=SENTINELS,
                                noise_mask=torch.zeros(5)), TypeError, "noise_mask"),
])
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()


# ------------------------------------------------------------------ T5's reference
def t5_unique_sentinels(tokens, mask, sentinels):
    """T5's noise_span_to_unique_sentinel, token by token: the first token of every run of
    True becomes the next sentinel, the rest of the run is dropped, the others are kept."""
    out, used = [], 0
    for i, (token, dropped) in enumerate(zip(tokens, mask, strict=True)):
        if dropped and (i == 0 or not mask[i - 1]):
            out.append(sentinels[used])
            used += 1
        elif not dropped:
            out.append(token)
    return out


def t5_reference(tokens, noise, sentinels):
    """T5's span_corruption for a given noise mask: inputs replace the noise runs,
    targets (nonnoise_span_to_unique_sentinel) replace the kept runs."""
    kept = [not m for m in noise]
    return t5_unique_sentinels(tokens, noise, sentinels), t5_unique_sentinels(tokens, kept, sentinels)


def test_t5_own_unit_example():
    # T5's test_noise_span_to_unique_sentinel: vocabulary of 1000, sentinels count down from 999.
    sentinels = list(range(999, 900, -1))
    ids = torch.tensor([10, 11, 12, 13, 14, 15])
    noise = torch.tensor([True, True, False, False, True, False])
    inputs, targets = t5.span_corruption(ids, sentinel_ids=sentinels, noise_mask=noise)
    assert inputs.tolist() == [999, 12, 13, 998, 15]
    assert targets.tolist() == [10, 11, 999, 14, 998]  # the kept runs become the sentinels


def test_targets_end_with_the_last_span_when_the_text_ends_with_noise():
    ids = torch.tensor([10, 11, 12, 13])
    noise = torch.tensor([False, True, False, True])
    inputs, targets = t5.span_corruption(ids, sentinel_ids=SENTINELS, noise_mask=noise, eos_id=EOS)
    assert inputs.tolist() == [10, 900, 12, 901, EOS]
    assert targets.tolist() == [900, 11, 901, 13, EOS]  # no extra sentinel before EOS


def test_equals_t5_on_2000_random_masks():
    g = gen(11)
    sentinels = list(range(1000, 1100))
    for trial in range(2000):
        n = int(torch.randint(1, 60, (), generator=g))
        ids = torch.randint(10, 900, (n,), generator=g)
        if trial % 2:  # any mask at all: may start and end with noise
            noise = torch.rand(n, generator=g) < float(torch.rand((), generator=g))
        else:  # T5's own masks, rolled half of the time
            noise = t5.random_spans_noise_mask(n, noise_density=0.3, mean_span_length=2.0,
                                               random_roll=trial % 4 == 0, generator=g)
        eos = EOS if trial % 3 else None
        inputs, targets = t5.span_corruption(ids, sentinel_ids=sentinels, noise_mask=noise, eos_id=eos)
        want_inputs, want_targets = t5_reference(ids.tolist(), noise.tolist(), sentinels)
        tail = [] if eos is None else [EOS]
        assert inputs.tolist() == want_inputs + tail, (ids.tolist(), noise.tolist())
        assert targets.tolist() == want_targets + tail, (ids.tolist(), noise.tolist())


def test_random_roll_numbers_sentinels_as_t5():
    sentinels = list(range(1000, 1100))
    starts_with_noise = 0
    for seed in range(300):
        ids = torch.randint(10, 900, (30,), generator=gen(seed))
        inputs, targets = t5.span_corruption(ids, sentinel_ids=sentinels, noise_density=0.3,
                                             random_roll=True, generator=gen(seed + 1000))
        noise = t5.random_spans_noise_mask(30, noise_density=0.3, random_roll=True,
                                           generator=gen(seed + 1000))
        starts_with_noise += bool(noise[0])
        assert (inputs.tolist(), targets.tolist()) == t5_reference(ids.tolist(), noise.tolist(), sentinels)
    assert starts_with_noise > 20  # the case that differed is exercised (~9 / 30 of the rolls)


def t5_counts(length, density, mean):
    padded = max(length, 2)
    num_noise = min(max(round(padded * density), 1), padded - 1)
    return num_noise, max(round(num_noise / mean), 1), padded - num_noise


@pytest.mark.parametrize("length", [1, 2, 3, 5, 10, 37, 128, 512])
def test_every_density_works_or_is_refused_by_name(length):
    for density in (0.0, 0.05, 0.15, 0.3, 0.5, 0.7, 0.75, 0.8, 0.9, 0.99, 1.0):
        for mean in (1.0, 1.5, 3.0, 10.0):
            num_noise, num_spans, num_kept = t5_counts(length, density, mean)
            feasible = density == 0 or num_spans <= num_kept  # T5's own code fails otherwise
            if not feasible:
                with pytest.raises(ValueError, match="noise_density"):
                    t5.random_spans_noise_mask(length, noise_density=density, mean_span_length=mean)
                with pytest.raises(ValueError, match="noise_density"):
                    t5.span_corruption(torch.arange(length), sentinel_ids=list(range(1000, 1600)),
                                       noise_density=density, mean_span_length=mean)
                continue
            mask = t5.random_spans_noise_mask(length, noise_density=density, mean_span_length=mean,
                                              random_roll=True, generator=gen(length))
            assert mask.shape == (length,)
            if density > 0 and length > 1:
                assert int(mask.sum()) == num_noise and len(runs(mask)) in (num_spans, num_spans + 1)
            t5.span_corruption(torch.arange(length), sentinel_ids=list(range(1000, 1600)),
                               noise_density=density, mean_span_length=mean, generator=gen(length))


def test_refusal_happens_exactly_where_t5_cannot_alternate():
    # length 512, density 0.8: 410 noise tokens in round(410 / 3) = 137 spans, but only 102
    # kept tokens to put between them.
    with pytest.raises(ValueError, match=r"noise_density=0\.8.*137.*102"):
        t5.random_spans_noise_mask(512, noise_density=0.8)
    assert int(t5.random_spans_noise_mask(512, noise_density=0.75, generator=gen()).sum()) == 384


def test_huge_length_is_refused_before_any_work():
    with pytest.raises(ValueError, match="length"):
        t5.random_spans_noise_mask(10**8)
