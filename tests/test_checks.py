"""minilm.checks: the shared label checks name the argument and say what is wrong."""

import pytest
import torch

from minilm.checks import check_class_labels, labels_tensor


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
