"""The Transformer parts: the two attention paths agree, caches change nothing, embeddings add up."""


import pytest
import torch

from minilm import masks
from minilm.nn import (
    Attention,
    Embeddings,
    EncoderDecoderStack,
    KVCache,
    TransformerConfig,
    TransformerStack,
    explicit_attention,
)


def set_sdpa(module, flag: bool):
    for m in module.modules():
        if isinstance(m, Attention):
            m.use_sdpa = flag


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def test_explicit_attention_hand_worked():
    # One head, two keys with equal scores -> the output is the mean of the values.
    q = torch.tensor([[[[1.0, 0.0]]]])             # (B=1, h=1, T=1, d=2)
    k = torch.tensor([[[[1.0, 0.0], [1.0, 0.0]]]])  # (1, 1, S=2, 2)
    v = torch.tensor([[[[2.0, 0.0], [0.0, 4.0]]]])
    out, w = explicit_attention(q, k, v)
    torch.testing.assert_close(w, torch.tensor([[[[0.5, 0.5]]]]))
    torch.testing.assert_close(out, torch.tensor([[[[1.0, 2.0]]]]))
    # Masking the second key puts all the weight on the first.
    out, w = explicit_attention(q, k, v, mask=torch.tensor([[True, False]]))
    torch.testing.assert_close(out, torch.tensor([[[[2.0, 0.0]]]]))


def test_attention_scales_scores_by_sqrt_head_dim():
    q = torch.ones(1, 1, 1, 4)
    k = torch.stack([torch.ones(4), torch.zeros(4)]).view(1, 1, 2, 4)
    _, w = explicit_attention(q, k, torch.zeros(1, 1, 2, 4))
    # scores are 4/sqrt(4) = 2 and 0, so the weights are softmax([2, 0]).
    torch.testing.assert_close(w.flatten(), torch.softmax(torch.tensor([2.0, 0.0]), 0))


MASKS = {
    "none": lambda T: (None, False),
    "is_causal": lambda T: (None, True),
    "causal tensor": lambda T: (masks.causal_mask(T), False),
    "padding": lambda T: (masks.padding_mask(torch.tensor([[1] * T, [1] * (T - 3) + [0] * 3])), False),
    "glm": lambda T: (masks.glm_mask(T, torch.tensor([3, 5])), False),
}


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("kind", MASKS)
def test_explicit_and_sdpa_paths_agree_forward_and_backward(kind, norm_first, gen):
    config = TransformerConfig(d_model=32, n_heads=4, n_layers=2, norm_first=norm_first)
    stack = TransformerStack(config)
    x = torch.randn(2, 8, 32, generator=gen, requires_grad=True)
    mask, is_causal = MASKS[kind](8)

    out_fast = stack(x, mask=mask, is_causal=is_causal).hidden_states
    grad_fast = torch.autograd.grad(out_fast.square().sum(), x)[0]
    set_sdpa(stack, False)
    out_slow = stack(x, mask=mask, is_causal=is_causal, output_attentions=True)
    grad_slow = torch.autograd.grad(out_slow.hidden_states.square().sum(), x)[0]

    torch.testing.assert_close(out_fast, out_slow.hidden_states, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(grad_fast, grad_slow, atol=1e-4, rtol=1e-4)
    weights = out_slow.attentions[0]
    assert weights.shape == (2, 4, 8, 8)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 8))
    if mask is not None:  # blocked keys get exactly zero weight
        assert (weights.masked_select(~mask.view(-1, 1, 8, 8).expand_as(weights)) == 0).all()


def test_incremental_decoding_with_cache_matches_full_pass(gen):
    config = TransformerConfig(d_model=32, n_heads=4, n_layers=2)
    stack = TransformerStack(config).eval()
    x = torch.randn(2, 7, 32, generator=gen)
    full = stack(x, is_causal=True).hidden_states
    cache = KVCache(config.n_layers)
    steps = [stack(x[:, :3], is_causal=True, cache=cache).hidden_states]  # a prompt of 3
    for t in range(3, 7):                                                 # then one at a time
        steps.append(stack(x[:, t:t + 1], is_causal=True, cache=cache).hidden_states)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=1e-4)
    assert len(cache) == 7


def test_encoder_decoder_cache_reuses_encoder_keys_and_matches_full_pass(gen):
    config = TransformerConfig(d_model=32, n_heads=4, n_layers=2)
    model = EncoderDecoderStack(config).eval()
    src, tgt = torch.randn(2, 5, 32, generator=gen), torch.randn(2, 4, 32, generator=gen)
    src_am = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    cross = masks.cross_mask(src_am, 4)
    enc = model.encoder(src, mask=masks.padding_mask(src_am))
    full = model(tgt, enc, cross_mask=cross)
    cache = KVCache(config.n_layers)
    steps = [model(tgt[:, t:t + 1], enc, cross_mask=cross[:, :1], cache=cache).hidden_states
             for t in range(4)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full.hidden_states, atol=1e-5, rtol=1e-4)
    assert cache.cross_attn[0].k.shape[2] == 5  # encoder keys computed once, kept


def test_padding_does_not_change_real_positions(gen):
    config = TransformerConfig(d_model=32, n_heads=4, n_layers=2)
    stack = TransformerStack(config).eval()
    x = torch.randn(1, 5, 32, generator=gen)
    padded = torch.cat([x, torch.randn(1, 3, 32, generator=gen)], dim=1)
    am = torch.tensor([[1] * 5 + [0] * 3])
    alone = stack(x).hidden_states
    with_pads = stack(padded, mask=masks.padding_mask(am)).hidden_states[:, :5]
    torch.testing.assert_close(alone, with_pads, atol=1e-5, rtol=1e-4)


def test_embeddings_sum_token_position_and_segment():
    config = TransformerConfig(vocab_size=10, max_len=6, d_model=8, n_segments=2)
    emb = Embeddings(config)
    ids, seg = torch.tensor([[3, 4]]), torch.tensor([[0, 1]])
    expected = (emb.token.weight[[3, 4]] + emb.position.weight[[0, 1]]
                + emb.segment.weight[[0, 1]])
    torch.testing.assert_close(emb(ids, token_type_ids=seg)[0], expected)


def test_2d_positions_add_both_rows():
    config = TransformerConfig(vocab_size=10, max_len=6, d_model=8, position="2d")
    emb = Embeddings(config)
    ids = torch.tensor([[1, 2, 3]])
    pos = torch.tensor([[[0, 1, 1], [0, 1, 2]]])  # [B, 2, T]
    expected = (emb.token.weight[[1, 2, 3]] + emb.position.weight[[0, 1, 1]]
                + emb.block_position.weight[[0, 1, 2]])
    torch.testing.assert_close(emb(ids, position_ids=pos)[0], expected)
    with pytest.raises(ValueError, match="position_ids of shape"):
        emb(ids)


def test_post_ln_block_output_is_normalised_pre_ln_is_not(gen):
    x = 5 + 3 * torch.randn(2, 6, 32, generator=gen)
    post = TransformerStack(TransformerConfig(d_model=32, n_heads=4, n_layers=1, norm_first=False))
    h = post(x).hidden_states
    torch.testing.assert_close(h.mean(-1), torch.zeros(2, 6), atol=1e-5, rtol=0)
    pre = TransformerStack(TransformerConfig(d_model=32, n_heads=4, n_layers=1))
    block_out = pre.blocks[0](x)[0]  # residual stream before the final LayerNorm
    assert block_out.mean().abs() > 1


@pytest.mark.parametrize("kwargs, match", [
    ({"d_model": 30, "n_heads": 4}, "divisible"),
    ({"n_layers": 0}, "n_layers"),
    ({"dropout": 1.5}, "dropout"),
    ({"activation": "swish"}, "activation"),
    ({"position": "rotary"}, "position"),
])
def test_bad_config_raises_naming_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransformerConfig(**kwargs)


def test_embeddings_reject_bad_ids_and_long_inputs():
    emb = Embeddings(TransformerConfig(vocab_size=10, max_len=4, d_model=8))
    with pytest.raises(ValueError, match="input_ids has token ids outside"):
        emb(torch.tensor([[1, 10]]))
    with pytest.raises(TypeError, match="input_ids must be an integer"):
        emb(torch.tensor([[1.0, 2.0]]))
    with pytest.raises(ValueError, match="context window"):
        emb(torch.zeros(1, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="token_type_ids given"):
        emb(torch.tensor([[1, 2]]), token_type_ids=torch.tensor([[0, 1]]))


def test_attention_rejects_float_masks_and_wrong_shapes():
    attn = Attention(8, 2)
    x = torch.randn(1, 3, 8)
    with pytest.raises(TypeError, match="bool"):
        attn(x, mask=torch.zeros(3, 3))
    with pytest.raises(ValueError, match="mask must have shape"):
        attn(x, mask=torch.ones(4, 4, dtype=torch.bool))
