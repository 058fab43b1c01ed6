"""The encoder-decoder model: shifting, masks (causal decoder, padding), cached generation,
checkpoints, and a seeded run whose loss goes down."""

import pytest
import torch

from minilm.checkpoint import load_checkpoint, save_checkpoint
from minilm.models import IGNORE_INDEX, Seq2Seq, Seq2SeqConfig, shift_right
from minilm.nn import KVCache
from minilm.train import train

V, PAD, START, EOS = 40, 0, 5, 7


@pytest.fixture
def model():
    torch.manual_seed(0)
    return Seq2Seq(Seq2SeqConfig.tiny(V)).eval()


def test_shift_right_hand_worked():
    labels = torch.tensor([[11, 12, 7, IGNORE_INDEX], [13, 7, IGNORE_INDEX, IGNORE_INDEX]])
    expected = torch.tensor([[5, 11, 12, 7], [5, 13, 7, 0]])
    assert torch.equal(shift_right(labels, start_id=START, pad_id=PAD), expected)
    assert torch.equal(shift_right(torch.tensor([9, 8]), start_id=START, pad_id=PAD), torch.tensor([5, 9]))


def test_forward_shapes(model):
    src = torch.randint(10, V, (3, 9))
    tgt = torch.randint(10, V, (3, 6))
    out = model(src, decoder_input_ids=shift_right(tgt, start_id=START, pad_id=PAD), labels=tgt,
                output_attentions=True)
    assert out.logits.shape == (3, 6, V)
    assert out.loss.ndim == 0
    assert out.cross_attentions[0].shape == (3, 4, 6, 9)
    assert out.attentions[0].shape == (3, 4, 6, 6)


def test_decoder_is_causal_and_reads_the_whole_source(model):
    src = torch.randint(10, V, (2, 8))
    tgt = torch.randint(10, V, (2, 6))
    later_tgt, later_src = tgt.clone(), src.clone()
    later_tgt[:, 4] = (tgt[:, 4] - 9) % 30 + 10
    later_src[:, -1] = (src[:, -1] - 9) % 30 + 10
    with torch.no_grad():
        base = model(src, decoder_input_ids=tgt).logits
        a = model(src, decoder_input_ids=later_tgt).logits
        b = model(later_src, decoder_input_ids=tgt).logits
    torch.testing.assert_close(base[:, :4], a[:, :4])    # the past never sees the future
    assert not torch.allclose(base[:, 4:], a[:, 4:])
    assert not torch.allclose(base[:, 0], b[:, 0])       # even step 0 reads the last source token


def test_padding_invariance(model):
    src = torch.randint(10, V, (1, 7))
    tgt = torch.randint(10, V, (1, 5))
    pad = torch.zeros(1, 3, dtype=torch.long)
    ones = torch.ones(1, 7, dtype=torch.long)
    with torch.no_grad():
        plain = model(src, decoder_input_ids=tgt).logits
        padded = model(torch.cat([src, pad], 1), attention_mask=torch.cat([ones, pad], 1),
                       decoder_input_ids=torch.cat([tgt, pad], 1),
                       decoder_attention_mask=torch.cat([ones[:, :5], pad], 1)).logits
    torch.testing.assert_close(padded[:, :5], plain, atol=1e-5, rtol=1e-5)


def test_cached_generation_matches_recomputing(model):
    src = torch.randint(10, V, (2, 8))
    fast = model.generate(src, start_id=START, max_new_tokens=6)
    ids = torch.full((2, 1), START)
    with torch.no_grad():
        for _ in range(6):
            next_id = model(src, decoder_input_ids=ids).logits[:, -1].argmax(-1, keepdim=True)
            ids = torch.cat([ids, next_id], dim=1)
    assert torch.equal(fast, ids)


def test_cached_decoding_with_a_padded_target_matches_one_pass(model):
    """decoder_attention_mask covers the cached and the new target tokens."""
    src = torch.randint(10, V, (2, 7))
    tgt = torch.randint(10, V, (2, 6))
    mask = torch.ones(2, 6, dtype=torch.long)
    mask[0, :2] = 0  # a left-padded target row
    with torch.no_grad():
        full = model(src, decoder_input_ids=tgt, decoder_attention_mask=mask).logits
        cache, memory = KVCache(model.config.n_layers), model.encode(src)
        steps = [model(src, decoder_input_ids=tgt[:, t:t + 1], decoder_attention_mask=mask[:, :t + 1],
                       encoder_outputs=memory, cache=cache).logits for t in range(6)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=1e-4)


def test_bad_inputs_name_the_argument(model):
    src = torch.randint(10, V, (2, 8))
    tgt = torch.randint(10, V, (2, 5))
    with pytest.raises(ValueError, match="decoder_attention_mask"):
        model(src, decoder_input_ids=tgt, decoder_attention_mask=torch.ones(2, 4))
    with pytest.raises(ValueError, match="attention_mask"):
        model(src, decoder_input_ids=tgt, attention_mask=torch.ones(2, 9))
    with pytest.raises(TypeError, match="decoder_input_ids"):
        model(src, decoder_input_ids=tgt.float())
    with pytest.raises(ValueError, match="decoder_input_ids has length 65"):  # a too-long target
        model(src, decoder_input_ids=torch.randint(10, V, (2, 65)))
    with pytest.raises(ValueError, match="input_ids"):
        model(src + V, decoder_input_ids=tgt)
    with pytest.raises(ValueError, match="max_new_tokens"):
        model.generate(src, start_id=START, max_new_tokens=64)


def test_checkpoint_round_trip(model, tmp_path):
    path = save_checkpoint(model, tmp_path / "s2s.safetensors")
    loaded, _, _ = load_checkpoint(path)
    src, tgt = torch.randint(10, V, (2, 6)), torch.randint(10, V, (2, 4))
    with torch.no_grad():
        torch.testing.assert_close(loaded(src, decoder_input_ids=tgt).logits,
                                   model(src, decoder_input_ids=tgt).logits)
    assert loaded.lm_head.weight is loaded.embed.token.weight


def test_learns_to_reverse_a_sequence():
    """Reversal needs the whole source at every step: only cross-attention can solve it."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig.tiny(V, n_layers=1))

    def batch():
        src = torch.randint(10, 20, (32, 5), generator=gen)
        labels = torch.cat([src.flip(1), torch.full((32, 1), EOS)], dim=1)
        return {"input_ids": src, "labels": labels,
                "decoder_input_ids": shift_right(labels, start_id=START, pad_id=PAD)}

    # Reversal is learned suddenly, at a step that depends on the seed: after 100 steps the
    # mean loss of the last 10 was 0.02 ... 0.82 over seeds 0-5 (too close to a margin), after
    # 200 steps 0.008 ... 0.027 (1 thread, seeds 0-5; first-10 mean 2.83 ... 2.87).
    history = train(model, batch, steps=200, lr=3e-3, progress=False)
    first, last = sum(history.train_loss[:10]) / 10, sum(history.train_loss[-10:]) / 10
    assert last < 0.1 * first, (first, last)
