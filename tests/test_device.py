"""Device plumbing, tested on a machine without a GPU.

Inside ``with torch.device("meta"):`` every tensor created without an explicit device is a
"meta" tensor (a shape without data), and mixing one with the CPU model's tensors raises.
So a helper that still works there builds its tensors on the model's device, as it must
when the model sits on a GPU.
"""

import pytest
import torch

from minilm.data import synthetic_corpus
from minilm.device import model_device, move_to
from minilm.finetune import GPTClassifier, GPTMultipleChoice, pad_sequences
from minilm.finetune.gpt_tasks import accuracy
from minilm.models import GPT, GPTConfig
from minilm.tokenizer import WordTokenizer

META = torch.device("meta")


def tiny_gpt(vocab=30):
    torch.manual_seed(0)
    return GPT(GPTConfig.tiny(vocab, max_len=16))


def test_model_device_is_where_the_parameters_are():
    assert model_device(tiny_gpt()) == torch.device("cpu")
    assert model_device(tiny_gpt().to(META)) == META
    assert model_device(torch.nn.ReLU()) is None  # no parameters: nothing to follow


def test_move_to_moves_tensors_and_keeps_the_rest():
    batch = move_to({"input_ids": torch.ones(2, 3, dtype=torch.long), "name": "x"}, META)
    assert batch["input_ids"].device == META and batch["name"] == "x"
    same = {"input_ids": torch.ones(1)}
    assert move_to(same, None) is same


@pytest.mark.parametrize("head", [GPTClassifier, GPTMultipleChoice])
def test_heads_and_accuracy_build_no_tensor_off_the_models_device(head):
    model = GPTClassifier(tiny_gpt(), 2) if head is GPTClassifier else GPTMultipleChoice(tiny_gpt())
    batch = pad_sequences([[5, 11, 7], [5, 7], [5, 9, 9, 7], [5, 8, 7]], pad_id=0)
    batch["labels"] = torch.tensor([0, 1, 1, 0])
    if head is GPTMultipleChoice:  # two questions with two options each
        batch = {"input_ids": batch["input_ids"].view(2, 2, -1),
                 "attention_mask": batch["attention_mask"].view(2, 2, -1), "labels": torch.tensor([0, 1])}
    expected = accuracy(model, batch)
    with torch.device("meta"):
        assert accuracy(model, batch) == expected


def test_generation_helper_builds_the_prompt_on_the_models_device():
    from minilm.viz.generation import decode_samples

    tok = WordTokenizer.train(synthetic_corpus(30))
    model = tiny_gpt(tok.vocab_size)
    settings = {"n_samples": 2, "max_new_tokens": 3}  # greedy, the default
    expected = decode_samples(model, tok, "<s> anna", **settings)
    with torch.device("meta"):
        assert decode_samples(model, tok, "<s> anna", **settings) == expected
