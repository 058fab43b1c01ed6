"""Decoding rules: top-k, top-p, temperature, greedy, sampling statistics and <e> handling."""

import math

import pytest
import torch

from minilm.generate import generate, sample_next, top_k_filter, top_p_filter
from minilm.models import GPT, GPTConfig
from minilm.nn import KVCache


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_top_k_keeps_exactly_the_k_largest(k, gen):
    logits = torch.randn(4, 9, generator=gen)
    kept = torch.isfinite(top_k_filter(logits, k))
    assert kept.sum(-1).tolist() == [k] * 4
    expected = torch.zeros_like(kept)
    expected.scatter_(-1, logits.topk(k, dim=-1).indices, True)
    assert torch.equal(kept, expected)
    # the kept logits are unchanged, not renormalised
    assert torch.equal(top_k_filter(logits, k)[kept], logits[kept])


def test_top_k_larger_than_vocab_keeps_everything(gen):
    logits = torch.randn(2, 5, generator=gen)
    assert torch.equal(top_k_filter(logits, 50), logits)


# probabilities 0.1, 0.5, 0.15, 0.25 at ids 0..3; sorted: 0.5 (id 1), 0.25 (id 3), 0.15 (id 2), 0.1
HAND_PROBS = torch.tensor([0.1, 0.5, 0.15, 0.25])


@pytest.mark.parametrize(("p", "kept_ids"), [
    (0.3, {1}),            # 0.5 alone already reaches 0.3
    (0.7, {1, 3}),         # 0.5 < 0.7 <= 0.5 + 0.25
    (0.8, {1, 3, 2}),      # 0.75 < 0.8 <= 0.9
    (0.95, {0, 1, 2, 3}),  # 0.9 < 0.95: the least likely token is needed too
    (1.0, {0, 1, 2, 3}),
])
def test_top_p_keeps_the_smallest_prefix_reaching_p(p, kept_ids):
    filtered = top_p_filter(HAND_PROBS.log().unsqueeze(0), p)[0]
    assert {i for i in range(4) if math.isfinite(filtered[i])} == kept_ids


def test_top_p_always_keeps_the_most_likely_token():
    assert torch.isfinite(top_p_filter(HAND_PROBS.log().unsqueeze(0), 1e-9)).sum() == 1


def test_greedy_is_the_default_and_is_argmax(gen):
    logits = torch.randn(16, 30, generator=gen)
    assert torch.equal(sample_next(logits), logits.argmax(-1))
    assert torch.equal(sample_next(logits, do_sample=False, generator=gen), logits.argmax(-1))


def _frequencies(logits, n, gen, **kwargs):
    samples = sample_next(logits.expand(n, -1), do_sample=True, generator=gen, **kwargs)
    return torch.bincount(samples, minlength=logits.shape[-1]).double() / n


def _assert_close_to(freq, probs, n):
    # each frequency is a binomial proportion: allow 5 standard deviations
    sigma = (probs * (1 - probs) / n).sqrt()
    assert ((freq - probs).abs() <= 5 * sigma + 1e-12).all(), (freq, probs)


def test_sampling_frequencies_match_softmax(gen):
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, 0.5]])
    n = 40_000
    _assert_close_to(_frequencies(logits, n, gen), logits.softmax(-1)[0].double(), n)


def test_temperature_sharpens_and_flattens(gen):
    logits = torch.tensor([[2.0, 1.0, 0.0, -1.0, 0.5]])
    n = 40_000
    for t in (0.5, 2.0):
        probs = (logits / t).softmax(-1)[0].double()
        _assert_close_to(_frequencies(logits, n, gen, temperature=t), probs, n)


def test_top_k_and_top_p_sampling_renormalise_over_the_kept_tokens(gen):
    logits = HAND_PROBS.log().unsqueeze(0)
    n = 40_000
    freq = _frequencies(logits, n, gen, top_k=2)
    _assert_close_to(freq, torch.tensor([0.0, 0.5, 0.0, 0.25], dtype=torch.float64) / 0.75, n)
    freq = _frequencies(logits, n, gen, top_p=0.8)
    _assert_close_to(freq, torch.tensor([0.0, 0.5, 0.15, 0.25], dtype=torch.float64) / 0.9, n)


def test_same_generator_seed_gives_same_samples():
    logits = torch.randn(8, 20, generator=torch.Generator().manual_seed(1))
    a = sample_next(logits, do_sample=True, generator=torch.Generator().manual_seed(7))
    b = sample_next(logits, do_sample=True, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


class CountingModel(torch.nn.Module):
    """Always predicts (last token + 1) mod V, with certainty: a decoder worked by hand."""

    def __init__(self, vocab_size=10, max_len=32):
        super().__init__()
        self.config = GPTConfig(vocab_size=vocab_size, max_len=max_len, d_model=8, n_heads=1)
        self.calls = 0

    def new_cache(self):
        return KVCache(1)

    def forward(self, input_ids, cache=None):
        self.calls += 1
        nxt = (input_ids + 1) % self.config.vocab_size
        logits = 20.0 * torch.nn.functional.one_hot(nxt, self.config.vocab_size).float()
        return type("Out", (), {"logits": logits})


def test_generate_stops_rows_at_eos_and_pads_with_eos():
    model = CountingModel()
    out = generate(model, torch.tensor([[3], [5]]), max_new_tokens=10, eos_token_id=6)
    # row 1 hits <e> (6) at once and keeps emitting it; row 0 reaches 6 after 3 steps; then stop
    assert out.tolist() == [[3, 4, 5, 6], [5, 6, 6, 6]]
    assert model.calls == 3


def test_generate_without_eos_runs_max_new_tokens():
    model = CountingModel()
    assert generate(model, torch.tensor([8]), 4).tolist() == [8, 9, 0, 1, 2]


def test_generate_is_reproducible_and_keeps_the_prompt(gen):
    torch.manual_seed(0)
    model = GPT(GPTConfig.tiny(20, max_len=16))
    prompt = torch.tensor([[1, 2, 3]])
    a = generate(model, prompt, 8, do_sample=True, top_k=5, generator=torch.Generator().manual_seed(3))
    b = generate(model, prompt, 8, do_sample=True, top_k=5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and a.shape == (1, 11) and torch.equal(a[:, :3], prompt)


BAD_DECODING = [  # (arguments, error, the words the message must contain)
    ({"do_sample": True, "temperature": -1.0}, ValueError, "temperature"),
    ({"do_sample": True, "temperature": 0}, ValueError, "temperature"),
    ({"do_sample": True, "temperature": float("inf")}, ValueError, "temperature"),
    ({"do_sample": True, "temperature": "hot"}, TypeError, "temperature"),
    ({"do_sample": True, "top_k": 0}, ValueError, "top_k"),
    ({"do_sample": True, "top_k": 2.5}, TypeError, "top_k"),
    ({"do_sample": True, "top_p": 0.0}, ValueError, "top_p"),
    ({"do_sample": True, "top_p": 1.5}, ValueError, "top_p"),
    ({"do_sample": True, "top_p": -0.1}, ValueError, "top_p"),
    ({"do_sample": 1}, TypeError, "do_sample"),
    ({"generator": 3}, TypeError, "generator"),
    # a sampling knob without do_sample=True would be silently ignored: refused instead
    ({"temperature": 0.7}, ValueError, "do_sample=True"),
    ({"top_k": 5}, ValueError, "do_sample=True"),
    ({"top_p": 0.9}, ValueError, "do_sample=True"),
]


@pytest.mark.parametrize(("kwargs", "error", "words"), BAD_DECODING)
def test_bad_decoding_arguments_are_clear_errors(kwargs, error, words):
    with pytest.raises(error, match=words):
        sample_next(torch.zeros(1, 4), **kwargs)


@pytest.mark.parametrize(("kwargs", "error", "words"), BAD_DECODING + [
    ({"max_new_tokens": 0}, ValueError, "max_new_tokens"),
    ({"max_new_tokens": -3}, ValueError, "max_new_tokens"),
    ({"eos_token_id": 10}, ValueError, "eos_token_id"),
    ({"eos_token_id": -1}, ValueError, "eos_token_id"),
    ({"input_ids": torch.zeros(33, dtype=torch.long)}, ValueError, "input_ids"),
    ({"use_cache": "yes"}, TypeError, "use_cache"),
])
def test_generate_rejects_bad_arguments_before_running_the_model(kwargs, error, words):
    model = CountingModel(vocab_size=10, max_len=32)
    arguments = {"input_ids": torch.tensor([1, 2]), "max_new_tokens": 3, **kwargs}
    with pytest.raises(error, match=words):
        generate(model, **arguments)
    assert model.calls == 0


# --------------------------------------------------------------- the decoding explorer
@pytest.fixture(scope="module")
def tiny_lm():
    from minilm.tokenizer import WordTokenizer

    tok = WordTokenizer.train(["Anna has a red cat. Ben likes soup. The cat sleeps."])
    torch.manual_seed(0)
    return GPT(GPTConfig.tiny(tok.vocab_size, max_len=16)).eval(), tok


def test_decode_samples_matches_generate_and_stops_after_eos(tiny_lm):
    from minilm.viz.generation import decode_samples

    model, tok = tiny_lm
    texts = decode_samples(model, tok, "<s> anna", n_samples=3, max_new_tokens=6, do_sample=True, top_k=4,
                           seed=5)
    prompt = torch.tensor([tok.encode("<s> anna")] * 3)
    ids = generate(model, prompt, 6, do_sample=True, top_k=4, eos_token_id=tok.eos_token_id,
                   generator=torch.Generator().manual_seed(5))[:, 2:].tolist()
    expected = [tok.decode(row[: row.index(tok.eos_token_id) + 1] if tok.eos_token_id in row else row)
                for row in ids]
    assert texts == expected
    greedy = decode_samples(model, tok, "<s> anna", n_samples=2, max_new_tokens=6)
    assert greedy[0] == greedy[1]


def test_decoding_explorer_controls_map_to_generate_arguments(tiny_lm):
    pytest.importorskip("ipywidgets")
    from minilm.viz.generation import DecodingExplorer

    model, tok = tiny_lm
    explorer = DecodingExplorer(model, tok, "<s> ben", n_samples=2, max_new_tokens=5)
    assert explorer.settings() == {"do_sample": True, "temperature": 1.0}
    explorer.top_k_slider.value, explorer.top_p_slider.value = 3, 0.5
    assert explorer.settings() == {"do_sample": True, "temperature": 1.0, "top_k": 3, "top_p": 0.5}
    explorer.temperature_slider.value = 0.0
    explorer.button.click()
    assert explorer.settings() == {"do_sample": False}  # temperature 0 on the slider is greedy
    assert len(explorer.samples) == 2 and explorer.samples[0] == explorer.samples[1]  # greedy
    assert "<b>&lt;s&gt; ben</b>" in explorer.view.value  # escaped HTML, no scripts
    assert explorer.static_text().splitlines()[1].startswith("  1. <s> ben")
    explorer.prompt_box.value = ""
    explorer.button.click()  # a bad prompt is shown, not raised inside the callback
    assert "no tokens" in explorer.view.value
    assert "text/plain" in explorer._repr_mimebundle_()


@pytest.mark.parametrize(("kwargs", "error", "words"), BAD_DECODING + [
    ({"max_new_tokens": 0}, ValueError, "max_new_tokens"),
    ({"max_new_tokens": 16}, ValueError, "max_new_tokens"),  # + the start token > max_len
    ({"eos_token_id": 20}, ValueError, "eos_token_id"),
    ({"start_id": 20}, ValueError, "start_id"),
    ({"start_id": -1}, ValueError, "start_id"),
    ({"input_ids": torch.ones(2, 17, dtype=torch.long)}, ValueError, "input_ids"),
    ({"input_ids": torch.ones(2, 3)}, TypeError, "input_ids"),
])
def test_generate_seq2seq_rejects_bad_arguments(kwargs, error, words):
    from minilm.generate import generate_seq2seq
    from minilm.models import Seq2Seq, Seq2SeqConfig

    model = Seq2Seq(Seq2SeqConfig.tiny(20, max_len=16))
    arguments = {"input_ids": torch.ones(2, 5, dtype=torch.long), "start_id": 1, "max_new_tokens": 3,
                 **kwargs}
    with pytest.raises(error, match=words):
        generate_seq2seq(model, **arguments)
    with pytest.raises(error, match=words):  # the method is the same loop
        model.generate(**arguments)


def test_every_decoding_loop_is_greedy_by_default_and_names_eos_the_same():
    import inspect

    from minilm.generate import fill_blanks, generate_blanks, generate_seq2seq
    from minilm.models import Seq2Seq

    for function in (generate, generate_seq2seq, generate_blanks, fill_blanks, sample_next):
        parameters = inspect.signature(function).parameters
        assert parameters["do_sample"].default is False, function.__name__
        assert parameters["temperature"].default == 1.0, function.__name__
        assert not {"eos_id", "end_id"} & set(parameters), function.__name__
    for function in (generate, generate_seq2seq, generate_blanks):
        assert "eos_token_id" in inspect.signature(function).parameters, function.__name__
    assert "decoding" in inspect.signature(Seq2Seq.generate).parameters  # passed on to generate_seq2seq
