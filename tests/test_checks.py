"""minilm.checks: the shared label and mask checks name the argument and say what is wrong."""

import pytest
import torch

from minilm.checks import check_attention_mask, check_class_labels, check_shifted_labels, labels_tensor


def test_labels_tensor_accepts_lists_tuples_and_tensors():
    for given in ([1, 0, 2], (1, 0, 2), torch.tensor([1, 0, 2]), (x for x in [1, 0, 2])):
        out = labels_tensor(given, 3)
        assert out.dtype == torch.long and out.tolist() == [1, 0, 2]


def test_labels_tensor_wants_one_entry_per_item():
    with pytest.raises(ValueError, match=r"labels must have one entry per sentence \(2\), got shape \(3,\)"):
        labels_tensor([0, 1, 1], 2, per="sentence")


def test_check_class_labels_checks_kind_count_and_range():
    assert check_class_labels(torch.tensor([0, 2]), 2, 3).tolist() == [0, 2]
    with pytest.raises(TypeError, match="labels must be an integer"):
        check_class_labels(torch.tensor([0.0, 1.0]), 2, 3)
    with pytest.raises(ValueError, match=r"one entry per row \(3\), got 2"):
        check_class_labels(torch.tensor([0, 1]), 3, 3, per="row")
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\), got min -1, max 3"):
        check_class_labels(torch.tensor([-1, 3]), 2, 3)


def test_check_shifted_labels_hand_worked():
    ids = torch.tensor([[4, 9, 9, 2]])
    check_shifted_labels(torch.tensor([[9, 9, 2, -100]]), ids, builder="clm_labels")  # next tokens
    check_shifted_labels(torch.full((1, 4), -100), ids, builder="clm_labels")         # nothing scored
    check_shifted_labels(torch.tensor([[7, 7, 7, -100]]), torch.full((1, 4), 7), builder="clm_labels")
    for copy in (ids, torch.tensor([[4, 9, -100, -100]])):  # labels=input_ids, with or without pads
        with pytest.raises(ValueError, match="copy its input.*clm_labels"):
            check_shifted_labels(copy, ids, builder="clm_labels")


@pytest.mark.parametrize("mask, error", [
    (torch.tensor([[1, 1, 0]]), None), (torch.tensor([[True, False, True]]), None),
    (torch.tensor([[1.0, 0.0, 1.0]]), None), (torch.tensor([[1, 2, 0]]), ValueError),
    (torch.tensor([[1.0, float("nan"), 0.0]]), ValueError), (torch.ones(2, 3), ValueError),
    (torch.ones(1, 3, 3), ValueError), ([[1, 0, 1]], TypeError),
])
def test_check_attention_mask_takes_any_dtype_of_0_and_1_shaped_like_the_ids(mask, error):
    ids = torch.zeros(1, 3, dtype=torch.long)
    if error is None:
        assert torch.equal(check_attention_mask(mask, ids), torch.as_tensor(mask).bool())
    else:
        with pytest.raises(error, match="attention_mask"):
            check_attention_mask(mask, ids)
