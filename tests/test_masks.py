"""Masks, checked against small cases worked out by hand (1 = may attend)."""

import pytest
import torch

from minilm import masks


def T(rows):
    return torch.tensor(rows, dtype=torch.bool)


def test_causal_mask_is_lower_triangular():
    assert torch.equal(masks.causal_mask(3), T([[1, 0, 0], [1, 1, 0], [1, 1, 1]]))


def test_causal_mask_with_cached_keys_aligns_bottom_right():
    # 2 new queries after 2 cached keys: query 0 is position 2, query 1 is position 3.
    assert torch.equal(masks.causal_mask(2, 4), T([[1, 1, 1, 0], [1, 1, 1, 1]]))


def test_prefix_lm_mask_hand_worked():
    expected = T([[1, 1, 0, 0],
                  [1, 1, 0, 0],
                  [1, 1, 1, 0],
                  [1, 1, 1, 1]])
    assert torch.equal(masks.prefix_lm_mask(4, 2), expected)


def test_prefix_lm_mask_extremes_are_causal_and_bidirectional():
    assert torch.equal(masks.prefix_lm_mask(5, 0), masks.causal_mask(5))
    assert torch.equal(masks.prefix_lm_mask(5, 5), masks.bidirectional_mask(5))


def test_prefix_lm_mask_batched_matches_unbatched():
    batched = masks.prefix_lm_mask(5, torch.tensor([0, 2, 5]))
    for b, p in enumerate([0, 2, 5]):
        assert torch.equal(batched[b], masks.prefix_lm_mask(5, p))


def test_glm_mask_part_a_never_sees_part_b():
    # Part A = 3 tokens, Part B = 2 tokens (sep = 3).
    expected = T([[1, 1, 1, 0, 0],
                  [1, 1, 1, 0, 0],
                  [1, 1, 1, 0, 0],
                  [1, 1, 1, 1, 0],
                  [1, 1, 1, 1, 1]])
    assert torch.equal(masks.glm_mask(5, 3), expected)


def test_padding_mask_hides_pad_keys_for_every_query():
    m = masks.padding_mask(torch.tensor([[1, 1, 0]]))
    assert torch.equal(m[0], T([[1, 1, 0], [1, 1, 0], [1, 1, 0]]))


def test_bidirectional_mask_with_padding_equals_padding_mask():
    am = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0]])
    assert torch.equal(masks.bidirectional_mask(attention_mask=am), masks.padding_mask(am))


def test_causal_padding_mask_hand_worked_left_padding():
    # Left-padded row: the pad query at 0 keeps itself so its row is not empty.
    m = masks.causal_padding_mask(torch.tensor([[0, 1, 1]]))
    assert torch.equal(m[0], T([[1, 0, 0], [0, 1, 0], [0, 1, 1]]))
    assert m.any(dim=-1).all()


def test_encoder_decoder_masks_hand_worked():
    src = torch.tensor([[1, 1, 0]])      # 2 real source tokens, 1 pad
    tgt = torch.tensor([[1, 1]])
    m = masks.encoder_decoder_masks(src, tgt)
    assert torch.equal(m["encoder"][0], T([[1, 1, 0]] * 3))
    assert torch.equal(m["decoder"][0], T([[1, 0], [1, 1]]))
    assert torch.equal(m["cross"][0], T([[1, 1, 0], [1, 1, 0]]))
    assert m["cross"].shape == (1, 2, 3)


def test_combine_is_logical_and_with_broadcasting():
    causal = masks.causal_mask(3)
    pad = masks.padding_mask(torch.tensor([[1, 1, 0], [1, 1, 1]]))
    out = masks.combine(causal, pad)
    assert out.shape == (2, 3, 3)
    assert torch.equal(out[1], causal)
    assert torch.equal(out[0], T([[1, 0, 0], [1, 1, 0], [1, 1, 0]]))


@pytest.mark.parametrize("call, match", [
    (lambda: masks.causal_mask(0), "T"),
    (lambda: masks.causal_mask(4, 2), "S"),
    (lambda: masks.prefix_lm_mask(4, 5), "prefix_len"),
    (lambda: masks.prefix_lm_mask(4, -1), "prefix_len"),
    (lambda: masks.prefix_lm_mask(4, torch.tensor([1, 9])), "prefix_len"),
    (lambda: masks.padding_mask(torch.tensor([1, 1, 0])), "attention_mask"),
    (lambda: masks.padding_mask(torch.tensor([[0, 0]])), "attention_mask"),
    (lambda: masks.bidirectional_mask(), "T or attention_mask"),
    (lambda: masks.encoder_decoder_masks(torch.ones(2, 3), torch.ones(1, 3)), "batch size"),
])
def test_bad_mask_arguments_raise_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: masks.causal_mask(2.5), "T must be an int"),
    (lambda: masks.prefix_lm_mask(4, 1.5), "prefix_len"),
    (lambda: masks.padding_mask([[1, 0]]), "attention_mask must be a torch.Tensor"),
    (lambda: masks.combine(torch.ones(2, 2)), "bool"),
])
def test_wrong_types_raise_type_error_naming_the_argument(call, match):
    with pytest.raises(TypeError, match=match):
        call()


# ------------------------------------------------------ size limits, before allocating
@pytest.mark.parametrize("call, name", [
    (lambda: masks.causal_mask(10**5), "T"),                     # 10**10 entries: 10 GB
    (lambda: masks.causal_mask(8, 10**10), "S"),
    (lambda: masks.prefix_lm_mask(10**5, 3), "T"),
    (lambda: masks.glm_mask(10**5, 3), "T"),
    (lambda: masks.prefix_lm_mask(4096, torch.full((8,), 3)), "prefix_len"),  # 8 x 4096 x 4096
])
def test_huge_masks_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=rf"^{name} asks for .* more than the limit"):
        call()


def test_the_largest_allowed_mask_is_still_built():
    from minilm.constants import MAX_MASK_ELEMENTS

    side = int(MAX_MASK_ELEMENTS ** 0.5)
    assert masks.causal_mask(side).shape == (side, side)
    assert masks.prefix_lm_mask(side // 4, torch.tensor([1] * 16)).shape == (16, side // 4, side // 4)
