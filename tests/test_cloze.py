"""PET-style cloze classification with a GLM: verbaliser, layout, scoring, fine-tuning."""

import copy
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from minilm.finetune.cloze import (
    ClozeClassifier,
    cloze_batch,
    cloze_logits,
    cloze_predict,
    cloze_sample,
    verbaliser_ids,
)
from minilm.models.common import ModelOutput
from minilm.models.glm import GLM, GLMConfig
from minilm.tokenizer import WordTokenizer
from minilm.train import train

TEXTS = ["the film was good . the soup was bad .", "anna loved the song . it was great ."]


@pytest.fixture(scope="module")
def tokenizer():
    return WordTokenizer.train(TEXTS)


def test_verbaliser_ids(tokenizer):
    ids = verbaliser_ids(tokenizer, ["bad", "good"])
    assert ids.tolist() == [tokenizer.token_to_id("bad"), tokenizer.token_to_id("good")]
    with pytest.raises(ValueError, match=r"words\[1\]"):
        verbaliser_ids(tokenizer, ["bad", "terrific"])  # not in the vocabulary
    with pytest.raises(ValueError, match=r"words\[0\]"):
        verbaliser_ids(tokenizer, ["very bad", "good"])  # two tokens
    with pytest.raises(ValueError, match="different"):
        verbaliser_ids(tokenizer, ["good", "good"])
    with pytest.raises(TypeError, match="words"):
        verbaliser_ids(tokenizer, "good")


def test_cloze_sample_is_part_a_then_s_at_the_blank(tokenizer):
    sample = cloze_sample(tokenizer, "The film was good.")
    tokens = tokenizer.convert_ids_to_tokens(sample["input_ids"])
    assert tokens == ["the", "film", "was", "good", ".", "it", "was", "[MASK]", ".", "[S]"]
    assert sample["sep"] == 9, "[S] is the first Part B token, right after Part A"
    assert sample["position_ids"].tolist() == [list(range(9)) + [7], [0] * 9 + [1]]


def test_cloze_batch_pads_and_keeps_each_rows_blank(tokenizer):
    batch = cloze_batch(tokenizer, ["The film was good.", "Anna loved the song so."], labels=[1, 0],
                        pattern="[MASK] : {sentence}")
    # "[MASK] : the film was good ." is 7 tokens, "... anna loved the song so ." 8 (":", "so" are [UNK]).
    assert batch["input_ids"].shape == (2, 9) and batch["position_ids"].shape == (2, 2, 9)
    assert batch["sep"].tolist() == [7, 8]
    rows = [tokenizer.convert_ids_to_tokens(r) for r in batch["input_ids"]]
    assert rows[0][batch["sep"][0]] == rows[1][batch["sep"][1]] == "[S]"
    assert batch["position_ids"][:, :, 7].tolist() == [[0, 1], [7, 0]]  # [S] at the blank (index 0)
    assert batch["attention_mask"].tolist() == [[1] * 8 + [0], [1] * 9]
    assert batch["labels"].tolist() == [1, 0]


class FixedLogits(nn.Module):
    """A fake model returning the logits it was built with (ignores its input)."""

    def __init__(self, logits):
        super().__init__()
        self.logits, self.config = logits, SimpleNamespace(max_len=64)

    def forward(self, input_ids, position_ids, sep, attention_mask=None):
        return ModelOutput(logits=self.logits)


def test_cloze_logits_reads_the_label_words_at_s():
    B, T, V = 3, 6, 12
    logits = torch.zeros(B, T, V)
    sep = torch.tensor([2, 4, 5])
    # Row 0 prefers word 7 at its [S]; row 1 word 3; row 2 word 7 (by a small margin).
    logits[0, 2, 7], logits[1, 4, 3], logits[2, 5, 7], logits[2, 5, 3] = 2.0, 5.0, 0.75, 0.5
    logits[0, 5, 3] = 9.0  # a large logit elsewhere in row 0: not at its blank, ignored
    model = FixedLogits(logits)
    ids = torch.zeros(B, T, dtype=torch.long)
    out = cloze_logits(model, ids, torch.zeros(B, 2, T, dtype=torch.long), sep, torch.tensor([3, 7]))
    assert out.tolist() == [[0.0, 2.0], [5.0, 0.0], [0.5, 0.75]]
    probabilities = out.softmax(-1)  # GLM's Eq. 3: renormalised over the label words
    assert torch.allclose(probabilities[1], torch.tensor([5.0, 0.0]).softmax(-1))
    assert out.argmax(-1).tolist() == [1, 0, 1]


def test_cloze_predict_picks_the_right_word(tokenizer):
    good, bad = tokenizer.token_to_id("good"), tokenizer.token_to_id("bad")

    class WordAtBlank(nn.Module):
        """Says "good" at the blank of a sentence that contains "loved", else "bad"."""

        def __init__(self):
            super().__init__()
            self.config = SimpleNamespace(max_len=64)

        def forward(self, input_ids, position_ids, sep, attention_mask=None):
            logits = torch.zeros(*input_ids.shape, tokenizer.vocab_size)
            loved = (input_ids == tokenizer.token_to_id("loved")).any(dim=1)
            logits[:, :, good] = loved[:, None].float()
            logits[:, :, bad] = 1 - loved[:, None].float()
            return ModelOutput(logits=logits)

    sentences = ["Anna loved the song.", "The soup was bad.", "Anna loved the film."]
    predicted = cloze_predict(WordAtBlank(), tokenizer, sentences, verbaliser_ids(tokenizer, ["bad", "good"]),
                              batch_size=2)
    assert predicted.tolist() == [1, 0, 1]


def test_the_classifier_loss_is_the_cross_entropy_of_eq_3(tokenizer):
    torch.manual_seed(0)
    glm = GLM(GLMConfig.tiny(tokenizer.vocab_size))
    words = verbaliser_ids(tokenizer, ["bad", "good"])
    batch = cloze_batch(tokenizer, ["The film was good.", "The soup was bad."], labels=[1, 0])
    out = ClozeClassifier(glm, words)(**batch)
    full = glm(batch["input_ids"], batch["position_ids"], batch["sep"],
               attention_mask=batch["attention_mask"]).logits
    at_blank = full[torch.arange(2), batch["sep"]][:, words]  # [2, 2]
    torch.testing.assert_close(out.logits, at_blank)
    expected = -(at_blank.log_softmax(-1)[0, 1] + at_blank.log_softmax(-1)[1, 0]) / 2
    torch.testing.assert_close(out.loss, expected)
    torch.testing.assert_close(out.loss, F.cross_entropy(at_blank, batch["labels"]))


def test_fine_tuning_as_cloze_learns_a_toy_task(tokenizer):
    torch.manual_seed(0)
    words = verbaliser_ids(tokenizer, ["bad", "good"])
    model = ClozeClassifier(GLM(GLMConfig.tiny(tokenizer.vocab_size)), words)
    sentences = ["The film was good.", "The soup was bad.", "Anna loved the song.", "The song was bad."]
    batch = cloze_batch(tokenizer, sentences, labels=[1, 0, 1, 0])
    with torch.no_grad():
        before = float(model(**batch).loss)
    history = train(model, batch, steps=40, lr=3e-3, progress=False)
    # over seeds 0-4, 1 thread: final / before 0.02-0.14
    assert history.final_train_loss < 0.5 * before
    assert model(**batch).logits.argmax(-1).tolist() == [1, 0, 1, 0]


def test_bad_inputs_name_the_argument(tokenizer):
    with pytest.raises(ValueError, match="pattern"):
        cloze_sample(tokenizer, "The film was good.", pattern="{sentence} it was good .")
    with pytest.raises(ValueError, match="pattern"):
        cloze_sample(tokenizer, "The film was good.", pattern="it was [MASK] .")
    with pytest.raises(TypeError, match="sentence"):
        cloze_sample(tokenizer, 3)
    with pytest.raises(ValueError, match="sentence"):
        cloze_sample(tokenizer, "The [MASK] was good.")
    with pytest.raises(ValueError, match="labels"):
        cloze_batch(tokenizer, ["The film was good."], labels=[1, 0])
    with pytest.raises(TypeError, match="sentences"):
        cloze_batch(tokenizer, "The film was good.")
    model = FixedLogits(torch.zeros(1, 4, 10))
    ids, positions = torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="sep"):
        cloze_logits(model, ids, positions, torch.tensor([4]), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="label_word_ids"):
        cloze_logits(model, ids, positions, torch.tensor([3]), torch.tensor([1, 12]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_glm_on_the_gpu_scores_and_predicts_like_on_the_cpu(tokenizer):
    torch.manual_seed(0)
    glm = GLM(GLMConfig.tiny(tokenizer.vocab_size)).eval()
    words = verbaliser_ids(tokenizer, ["bad", "good"])
    sentences = ["The film was good.", "The soup was bad.", "Anna loved the song."]
    on_cpu = cloze_predict(glm, tokenizer, sentences, words)
    glm_gpu = copy.deepcopy(glm).to("cuda")
    on_gpu = cloze_predict(glm_gpu, tokenizer, sentences, words)  # CPU batches follow the model
    assert on_gpu.device == torch.device("cpu") and on_gpu.tolist() == on_cpu.tolist()
    batch = cloze_batch(tokenizer, sentences, labels=[1, 0, 1])
    out = ClozeClassifier(glm_gpu, words)(**{k: v.to("cuda") for k, v in batch.items()})
    assert out.logits.is_cuda
    expected = ClozeClassifier(glm, words)(**batch).logits
    torch.testing.assert_close(out.logits.cpu(), expected, atol=1e-4, rtol=1e-4)

