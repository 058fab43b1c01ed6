"""GPT-1 fine-tuning (Radford et al., 2018, Sec. 3.2-3.3): input formats worked by hand,
padding and the last real token, the three heads, L_3 = L_2 + lambda L_1, the layouts."""

import pytest
import torch

from minilm.data import synthetic_corpus
from minilm.finetune import (
    GPTClassifier,
    GPTMultipleChoice,
    GPTSimilarityClassifier,
    SpecialIds,
    auxiliary_loss,
    classification_ids,
    classification_input,
    collate,
    entailment_ids,
    entailment_input,
    last_token_index,
    multiple_choice_ids,
    multiple_choice_inputs,
    pad_sequences,
    similarity_ids,
    similarity_inputs,
)
from minilm.finetune.layout import plot_token_layouts, token_layout
from minilm.models import GPT, GPTConfig, token_cross_entropy
from minilm.objectives.clm import clm_labels
from minilm.tokenizer import WordTokenizer

S = SpecialIds(start=5, delim=6, extract=7)
V = 40


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer.train(["Anna lives in Paris. Ben likes soup. Where does Anna live? The cat is red."])


def make_gpt(seed=0):
    torch.manual_seed(seed)
    return GPT(GPTConfig.tiny(V, max_len=24))


# ---------------------------------------------------------------- formats, by hand
def test_formats_on_hand_worked_token_lists():
    assert classification_ids([11, 12, 13], S) == [5, 11, 12, 13, 7]
    assert entailment_ids([11, 12], [13], S) == [5, 11, 12, 6, 13, 7]
    assert entailment_ids([13], [11, 12], S) == [5, 13, 6, 11, 12, 7]  # the order is kept
    assert similarity_ids([11, 12], [13], S) == ([5, 11, 12, 6, 13, 7], [5, 13, 6, 11, 12, 7])
    assert multiple_choice_ids([20, 21], [30], [[40], [41, 42], [43]], S) == [
        [5, 20, 21, 6, 30, 6, 40, 7],
        [5, 20, 21, 6, 30, 6, 41, 42, 7],
        [5, 20, 21, 6, 30, 6, 43, 7],
    ]


def test_text_formats_use_the_tokenizer_special_tokens(tok):
    x = tok.encode("Anna lives in Paris.")
    s, d, e = tok.bos_token_id, tok.delim_token_id, tok.eos_token_id
    assert tok.convert_ids_to_tokens([s, d, e]) == ["<s>", "$", "<e>"]
    assert classification_input(tok, "Anna lives in Paris.") == [s, *x, e]
    y = tok.encode("Ben likes soup.")
    assert entailment_input(tok, "Anna lives in Paris.", "Ben likes soup.") == [s, *x, d, *y, e]
    assert similarity_inputs(tok, "Anna lives in Paris.", "Ben likes soup.") == (
        [s, *x, d, *y, e], [s, *y, d, *x, e])
    q = tok.encode("Where does Anna live?")
    out = multiple_choice_inputs(tok, "Anna lives in Paris.", "Where does Anna live?", ["paris", "soup"])
    assert out == [[s, *x, d, *q, d, tok.encode("paris")[0], e], [s, *x, d, *q, d, tok.encode("soup")[0], e]]


def test_format_input_errors(tok):
    with pytest.raises(ValueError, match="at least 2"):
        multiple_choice_ids([1], [2], [[3]], S)
    with pytest.raises(ValueError, match="at least 2"):
        multiple_choice_inputs(tok, "Anna lives in Paris.", "Where?", ["paris"])
    with pytest.raises(TypeError, match="options"):
        multiple_choice_inputs(tok, "a", "b", "paris")
    with pytest.raises(TypeError, match="premise"):
        entailment_ids("abc", [1], S)
    with pytest.raises(TypeError, match="text"):
        classification_input(tok, 3)
    with pytest.raises(TypeError, match="SpecialIds"):
        classification_ids([1], (5, 6))


# ------------------------------------------------------------- padding, last token
def test_last_token_index_with_right_and_left_padding():
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1]])
    assert last_token_index(mask).tolist() == [3, 1, 0, 3]
    assert last_token_index(mask.view(2, 2, 4)).tolist() == [[3, 1], [0, 3]]
    with pytest.raises(ValueError, match="no real token"):
        last_token_index(torch.tensor([[1, 1], [0, 0]]))


def test_pad_sequences_and_collate():
    batch = pad_sequences([[5, 11, 7], [5, 7]], pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 11, 7], [5, 7, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert last_token_index(batch["attention_mask"]).tolist() == [2, 1]
    grouped = collate([similarity_ids([11], [12, 13], S), similarity_ids([14], [15], S)], [1, 0], pad_id=0)
    assert grouped["input_ids"].shape == (2, 2, 6) and grouped["labels"].tolist() == [1, 0]
    assert grouped["input_ids"][1, 1].tolist() == [5, 15, 6, 14, 7, 0]
    assert last_token_index(grouped["attention_mask"]).tolist() == [[5, 5], [4, 4]]


def test_too_long_for_the_context_window_is_a_clear_error():
    with pytest.raises(ValueError, match=r"sequences\[1\] has 6 tokens .*\(max_len\) is 5"):
        pad_sequences([[1, 2], [1, 2, 3, 4, 5, 6]], pad_id=0, max_len=5)
    with pytest.raises(ValueError, match="same number"):
        collate([[[1], [2]], [[1], [2], [3]]], pad_id=0)
    with pytest.raises(ValueError, match="one entry per example"):
        collate([[1, 2], [3]], [0, 1, 1], pad_id=0)


# ------------------------------------------------------------------------- heads
def test_classifier_reads_the_last_real_token_of_a_padded_batch():
    gen = torch.Generator().manual_seed(0)
    model = GPTClassifier(make_gpt(), 3).eval()
    a = torch.randint(8, V, (1, 9), generator=gen)
    b = torch.randint(8, V, (1, 5), generator=gen)
    alone = torch.cat([model(a).logits, model(b).logits])
    batch = pad_sequences([a[0].tolist(), b[0].tolist()], pad_id=0)
    together = model(**batch)
    torch.testing.assert_close(together.logits, alone, atol=1e-5, rtol=1e-4)
    # P(y|x) = softmax(h_L^m W_y): the logits are the head applied to h_L at the last token
    h = model.gpt(b).hidden_states[:, -1]
    torch.testing.assert_close(model.head(h), alone[1:], atol=1e-5, rtol=1e-4)
    assert together.logits.shape == (2, 3) and together.loss is None


def test_classifier_loss_is_task_cross_entropy_plus_lambda_lm_loss():
    gen = torch.Generator().manual_seed(1)
    batch = pad_sequences([torch.randint(8, V, (n,), generator=gen).tolist() for n in (7, 4, 6)], pad_id=0)
    labels = torch.tensor([0, 1, 1])
    for lam in (0.0, 0.5, 1.0):
        model = GPTClassifier(make_gpt(), 2, lm_weight=lam).eval()
        out = model(**batch, labels=labels)
        task = torch.nn.functional.cross_entropy(out.logits, labels)
        lm = token_cross_entropy(model.gpt(batch["input_ids"], attention_mask=batch["attention_mask"]).logits,
                                 clm_labels(batch["input_ids"], batch["attention_mask"]))
        torch.testing.assert_close(out.task_loss, task)
        torch.testing.assert_close(out.lm_loss, lm, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(out.loss, task + lam * lm, atol=1e-5, rtol=1e-5)


def test_auxiliary_loss_and_lambda_validation():
    torch.testing.assert_close(auxiliary_loss(torch.tensor(2.0), torch.tensor(3.0), 0.5), torch.tensor(3.5))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="lm_weight"):
            auxiliary_loss(torch.tensor(1.0), torch.tensor(1.0), bad)
        with pytest.raises(ValueError, match="lm_weight"):
            GPTClassifier(make_gpt(), 2, lm_weight=bad)
    with pytest.raises(ValueError, match="n_classes"):
        GPTClassifier(make_gpt(), 1)


def test_similarity_head_is_symmetric_in_the_two_texts():
    gen = torch.Generator().manual_seed(2)
    model = GPTSimilarityClassifier(make_gpt()).eval()
    def ids(n):
        return torch.randint(8, V, (n,), generator=gen).tolist()

    pairs = [(ids(n), ids(m)) for n, m in ((3, 5), (6, 2), (4, 4))]
    ab = collate([similarity_ids(a, b, S) for a, b in pairs], pad_id=0)
    ba = collate([similarity_ids(b, a, S) for a, b in pairs], pad_id=0)
    out_ab, out_ba = model(**ab), model(**ba)
    torch.testing.assert_close(out_ab.logits, out_ba.logits, atol=1e-5, rtol=1e-4)
    # and it really is h(AB) + h(BA), then the linear layer
    h = torch.stack([model.gpt(torch.tensor([seq])).hidden_states[0, -1]
                     for seq in similarity_ids(*pairs[0], S)])
    torch.testing.assert_close(out_ab.logits[0], model.head(h.sum(0)), atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError, match="two orders"):
        model(torch.zeros(2, 3, 4, dtype=torch.long))


def test_multiple_choice_scores_one_per_option_and_softmaxes_over_options():
    gen = torch.Generator().manual_seed(3)
    model = GPTMultipleChoice(make_gpt()).eval()
    def ids(n):
        return torch.randint(8, V, (n,), generator=gen).tolist()

    examples = [multiple_choice_ids(ids(6), [9, 10], [ids(k) for k in (1, 2, 1, 3)], S) for _ in range(2)]
    batch = collate(examples, [2, 0], pad_id=0)
    out = model(**batch)
    assert out.logits.shape == (2, 4)
    for i, ex in enumerate(examples):  # each option's score is computed from that sequence alone
        for k, seq in enumerate(ex):
            score = model.head(model.gpt(torch.tensor([seq])).hidden_states[:, -1]).squeeze()
            torch.testing.assert_close(out.logits[i, k], score, atol=1e-5, rtol=1e-4)
    expected = -out.logits.log_softmax(-1)[torch.arange(2), torch.tensor([2, 0])].mean()
    torch.testing.assert_close(out.task_loss, expected)
    with pytest.raises(ValueError, match="N >= 2"):
        model(torch.zeros(2, 1, 4, dtype=torch.long))


def test_training_a_head_updates_the_gpt_and_lowers_the_loss():
    from minilm.train import train
    gen = torch.Generator().manual_seed(4)
    seqs = [torch.randint(8, V, (6,), generator=gen).tolist() for _ in range(16)]
    labels = [int(s[2] > 24) for s in seqs]  # depends on one inner token
    batch = collate([classification_ids(s, S) for s in seqs], labels, pad_id=0)
    model = GPTClassifier(make_gpt(), 2)
    before = model.gpt.embed.token.weight.detach().clone()
    history = train(model, batch, steps=60, lr=3e-3, progress=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert not torch.equal(before, model.gpt.embed.token.weight)  # all parameters are fine-tuned


# ------------------------------------------------------------------------ layouts
def test_token_layout_roles_and_ids(tok):
    (row,) = token_layout(tok, "entailment", "Anna lives in Paris.", "Ben likes soup.")
    assert row.ids == entailment_input(tok, "Anna lives in Paris.", "Ben likes soup.")
    assert row.tokens == ["<s>", "anna", "lives", "in", "paris", ".", "$", "ben", "likes", "soup", ".", "<e>"]
    assert row.roles == ["start"] + ["premise"] * 5 + ["delim"] + ["hypothesis"] * 4 + ["extract"]
    rows = token_layout(tok, "similarity", "Ben likes soup.", "The cat is red.")
    assert [r.roles[1] for r in rows] == ["text 1", "text 2"]
    rows = token_layout(tok, "multiple_choice", "Anna lives in Paris.", "Where does Anna live?",
                        "paris", "soup")
    assert len(rows) == 2 and rows[1].tokens[-2:] == ["soup", "<e>"] and rows[1].roles[-2] == "answer"
    with pytest.raises(ValueError, match="kind"):
        token_layout(tok, "translation", "a")
    with pytest.raises(ValueError, match="takes 2"):
        token_layout(tok, "entailment", "a")


def test_plot_token_layouts_draws_one_row_per_sequence(tok):
    import matplotlib
    matplotlib.use("Agg")
    layouts = {"similarity": token_layout(tok, "similarity", "Ben likes soup.", "The cat is red.")}
    fig = plot_token_layouts(layouts)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("<e>") == 2 and "similarity" in texts


# ------------------------------------------------- the benefit of pretraining, measured
# Test accuracy (400 examples) of the pretrained GPT and of a scratch copy, each fine-tuned
# with FINETUNE_SETTINGS; seed k picks the data, the head and the batches. Measured over
# seeds 0-4 (multiple choice 0-3) with 1 thread, as "range (mean, standard deviation)":
#   task              pretrained - chance          pretrained - scratch (paired)
#   sentiment         0.35-0.49 (0.44, sd 0.06)    0.35-0.50 (0.44, sd 0.06)
#   entailment        0.23-0.35 (0.31, sd 0.05)    0.14-0.32 (0.26, sd 0.07)
#   similarity        0.09-0.27 (0.18, sd 0.08)    0.01-0.20 (0.10, sd 0.07)
#   multiple choice  -0.01-0.10 (0.03, sd 0.05)   -0.03-0.09 (0.01, sd 0.05)
# One seed's gap is too noisy to test (similarity's seed 0 gave 0.0075 on one CPU and 0.05
# on another), so each task averages its paired gaps over several seeds and each margin
# sits at least 3 standard deviations of that mean below the measured mean. Multiple
# choice gains nothing measurable at these settings and is not claimed here.
CLAIMS = {  # task: (seeds, margin of the mean over chance, margin of the mean over scratch)
    "sentiment": ((0, 1, 2, 3), 0.3, 0.25),          # 4.9 and 6.2 sd of a 4-seed mean
    "entailment": ((0, 1, 2), 0.15, 0.1),            # 5.9 and 3.9 sd of a 3-seed mean
    "similarity": ((0, 1, 2, 3, 4, 5), 0.05, 0.0),   # 4.2 and 3.2 sd of a 6-seed mean
}


@pytest.fixture(scope="module")
def pretrained():
    """The course's pretrained GPT (full recipe): loaded from checkpoints/ or trained (~25 s)."""
    from minilm.pretrained import PretrainRecipe, pretrained_gpt

    return pretrained_gpt(PretrainRecipe(), progress=False)


def pretrained_and_scratch_accuracy(pretrained, task: str, seed: int) -> tuple[float, float, float]:
    """(pretrained accuracy, scratch accuracy, chance) of one seeded fine-tuning run each."""
    from minilm.finetune.gpt_tasks import FINETUNE_SETTINGS, finetune_gpt, scratch_copy, task_batch, task_data

    gpt, tok = pretrained.model, pretrained.tokenizer
    s = FINETUNE_SETTINGS[task]
    train_examples, test_examples = task_data(task, n_train=s.n_train, n_test=400, seed=seed)
    test_batch = task_batch(tok, test_examples)
    labels = test_batch["labels"]
    chance = max(0.5, float(torch.bincount(labels).max()) / len(labels))  # two classes: the majority
    accuracy = []
    for start in ("pretrained", "scratch"):
        g = torch.Generator().manual_seed(seed)
        model = gpt if start == "pretrained" else scratch_copy(gpt, g)
        accuracy.append(finetune_gpt(model, tok, task, train_examples=train_examples, test_batch=test_batch,
                                     steps=s.steps, batch_size=s.batch_size, lr=s.lr, generator=g).accuracy)
    return accuracy[0], accuracy[1], chance


@pytest.mark.slow
@pytest.mark.parametrize("task", list(CLAIMS))
def test_pretrained_gpt_beats_chance_and_scratch_at_equal_steps(task, pretrained):
    seeds, over_chance, over_scratch = CLAIMS[task]
    runs = [pretrained_and_scratch_accuracy(pretrained, task, seed) for seed in seeds]
    mean_over_chance = sum(p - c for p, _, c in runs) / len(runs)
    mean_over_scratch = sum(p - s for p, s, _ in runs) / len(runs)
    assert mean_over_chance > over_chance, runs
    assert mean_over_scratch > over_scratch, runs


# ------------------------------------------------------- the synthetic tasks, formatted
def test_sentiment_split_keeps_half_the_sentiment_words_out_of_training():
    import re

    from minilm.finetune.gpt_tasks import SEEN_SENTIMENT_WORDS, UNSEEN_SENTIMENT_WORDS, task_data

    train, test = task_data("sentiment", n_train=150, n_test=100, seed=3)
    assert len(train) == 150 and len(test) == 100
    assert not SEEN_SENTIMENT_WORDS & UNSEEN_SENTIMENT_WORDS
    words = [set(re.findall(r"[a-z]+", e.text.lower())) for e in train + test]
    assert all(not w & UNSEEN_SENTIMENT_WORDS for w in words[:150])
    assert all(w & UNSEEN_SENTIMENT_WORDS and not w & SEEN_SENTIMENT_WORDS for w in words[150:])
    assert 0.4 < sum(e.label for e in test) / 100 < 0.6


def test_task_batches_have_the_shapes_their_heads_read():
    from minilm.finetune.gpt_tasks import TASKS, format_example, task_batch, task_data, task_model

    tok = WordTokenizer.train(synthetic_corpus(300))
    gpt = GPT(GPTConfig.tiny(tok.vocab_size))
    expected = {"sentiment": 2, "entailment": 2, "similarity": 3, "multiple_choice": 3}
    for task in TASKS:
        train, _ = task_data(task, n_train=4, n_test=2)
        batch = task_batch(tok, train)
        assert batch["input_ids"].dim() == expected[task] and batch["labels"].shape == (4,)
        ids, label = format_example(tok, train[0])
        assert label == int(batch["labels"][0])
        first = ids if expected[task] == 2 else ids[0]
        assert first[0] == tok.bos_token_id and first[-1] == tok.eos_token_id
        out = task_model(task, gpt)(**batch)
        assert out.logits.shape == ((4, 4) if task == "multiple_choice" else (4, 2))
    with pytest.raises(ValueError, match="task must be one of"):
        task_model("translation", gpt)
    with pytest.raises(TypeError, match="example"):
        format_example(tok, "a sentence")


def test_scratch_copy_has_the_same_shape_and_fresh_weights():
    from minilm.finetune.gpt_tasks import scratch_copy

    gpt = make_gpt()
    a = scratch_copy(gpt, torch.Generator().manual_seed(0))
    b = scratch_copy(gpt, torch.Generator().manual_seed(0))
    assert a.config == gpt.config
    assert not torch.equal(a.embed.token.weight, gpt.embed.token.weight)
    assert torch.equal(a.embed.token.weight, b.embed.token.weight)  # seeded by the generator


def test_finetune_gpt_leaves_the_pretrained_model_untouched():
    from minilm.finetune.gpt_tasks import finetune_gpt, task_batch, task_data

    tok = WordTokenizer.train(synthetic_corpus(300))
    torch.manual_seed(0)
    gpt = GPT(GPTConfig.tiny(tok.vocab_size))
    before = {k: v.clone() for k, v in gpt.state_dict().items()}
    train, test = task_data("entailment", n_train=16, n_test=8)
    run = finetune_gpt(gpt, tok, "entailment", train_examples=train, test_batch=task_batch(tok, test),
                       steps=3, lr=1e-3, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(before[k], v) for k, v in gpt.state_dict().items())
    assert 0.0 <= run.accuracy <= 1.0 and len(run.history.steps) == 3
