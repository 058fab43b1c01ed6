"""minilm.checks: the shared label and mask checks name the argument and say what is wrong."""

import math
import os

import numpy as np
import pytest
import torch

from minilm.checkpoint import read_header
from minilm.checks import (
    check_attention_mask,
    check_class_labels,
    check_file,
    check_id_list,
    check_non_negative_number,
    check_shifted_labels,
    check_utf8_text,
    labels_tensor,
)
from minilm.data import load_text
from minilm.finetune.batching import pad_sequences
from minilm.tokenizer import Tokenizer


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


def test_id_lists_refuse_floats_bools_and_negative_ids_instead_of_truncating():
    assert check_id_list([3, np.int64(4), torch.tensor(5)], "ids") == [3, 4, 5]
    assert check_id_list(torch.tensor([7, 0]), "ids") == [7, 0]
    with pytest.raises(TypeError, match=r"sequences\[0\]\[0\] must be an int token id, got float 1.7"):
        pad_sequences([[1.7, 2.2]], pad_id=0)  # was silently [[1, 2]]
    with pytest.raises(TypeError, match=r"sequences\[1\] must be an integer"):
        pad_sequences([[1], torch.tensor([1.0])], pad_id=0)
    with pytest.raises(TypeError, match=r"sequences\[0\]\[1\] must be an int token id, got bool"):
        pad_sequences([[1, True]], pad_id=0)
    with pytest.raises(ValueError, match=r"sequences\[1\]\[0\] is -100, but token ids are >= 0"):
        pad_sequences([[4], [-100, 3]], pad_id=0)  # -100 belongs in labels only
    with pytest.raises(TypeError, match=r"sequences\[0\] must be a list of int token ids, got int"):
        pad_sequences([5], pad_id=0)
    assert pad_sequences([(2, 3), torch.tensor([4])], pad_id=0)["input_ids"].tolist() == [[2, 3], [4, 0]]


def test_check_file_says_what_the_path_is(tmp_path):
    with pytest.raises(FileNotFoundError, match="no text file at path="):
        check_file(tmp_path / "missing.txt", what="text file")
    with pytest.raises(ValueError, match="is a folder, not a text file"):
        check_file(tmp_path, what="text file")
    with pytest.raises(TypeError, match="path must be a str or a pathlib.Path, got int"):
        check_file(3)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_not_called_a_folder(tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for read in (load_text, Tokenizer.load, read_header):
        with pytest.raises(ValueError, match="is not a regular file") as info:
            read(pipe)
        assert "folder" not in str(info.value)


def test_non_negative_numbers():
    assert check_non_negative_number(0, "weight_decay") == 0.0
    for bad in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="weight_decay must be a finite number >= 0"):
            check_non_negative_number(bad, "weight_decay")
    with pytest.raises(TypeError, match="weight_decay must be a number"):
        check_non_negative_number(True, "weight_decay")


def test_utf8_text_names_where_a_lone_surrogate_sits():
    check_utf8_text({"a": ["fine", "é"]}, "extra")
    with pytest.raises(ValueError, match=r"extra\['a'\]\[1\] holds a lone surrogate '\\udc80' at index 2"):
        check_utf8_text({"a": ["fine", "ok\udc80"]}, "extra")
    with pytest.raises(ValueError, match=r"extra key '\\ud800'"):
        check_utf8_text({"\ud800": 1}, "extra")


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
