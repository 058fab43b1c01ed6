"""The fine-tuning helpers of notebooks 04 and 05 put their models where they are told:
``device=`` when given, else ``minilm.device.default_device()``; results that the notebooks
plot come back on the CPU.

The ``meta`` device holds shapes without data: a model built there proves that the helper
followed the given device without computing anything.
"""

import pytest
import torch

import minilm.finetune.gpt_tasks as gpt_tasks
from minilm.data import make_sentiment, make_tagging, split_sentences, synthetic_corpus
from minilm.finetune import BertForSequenceClassification, BertForTokenClassification
from minilm.finetune.bert_tasks import accuracy as bert_accuracy
from minilm.finetune.bert_tasks import sentiment_batch, tagging_batch
from minilm.finetune.bert_vs_gpt import fill_one_blank
from minilm.finetune.experiments import finetune_curve
from minilm.finetune.gpt_tasks import finetune_gpt, finetuning_setup, scratch_copy, task_batch, task_data
from minilm.models import GPT, Bert, BertConfig, GPTConfig
from minilm.objectives.nsp import bert_pair_input, collate_pairs, make_nsp_pairs
from minilm.tokenizer import WordTokenizer

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def setup():
    tok = WordTokenizer.train(synthetic_corpus(200))
    torch.manual_seed(0)
    gpt = GPT(GPTConfig.tiny(tok.vocab_size))
    train, test = task_data("sentiment", n_train=16, n_test=8)
    return tok, gpt, train, task_batch(tok, test)


def devices(model):
    return {p.device for p in model.parameters()}


def test_scratch_copy_is_built_on_the_given_device(setup):
    gpt = setup[1]
    assert devices(scratch_copy(gpt, torch.Generator().manual_seed(0), device="cpu")) == {CPU}
    on_meta = scratch_copy(gpt, torch.Generator().manual_seed(0), device="meta")
    assert devices(on_meta) == {torch.device("meta")}
    shapes = {k: v.shape for k, v in gpt.state_dict().items()}
    assert {k: v.shape for k, v in on_meta.state_dict().items()} == shapes


def test_scratch_copy_weights_do_not_depend_on_the_device(setup):
    # built on the CPU from the seed, then moved: a seed names the same model everywhere
    gpt = setup[1]
    a = scratch_copy(gpt, torch.Generator().manual_seed(5), device="cpu")
    b = scratch_copy(gpt, torch.Generator().manual_seed(5))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p.cpu(), q.cpu())


def test_without_a_device_the_helpers_use_the_default_device(setup, monkeypatch):
    tok, gpt, train, _ = setup
    monkeypatch.setattr(gpt_tasks, "default_device", lambda: torch.device("meta"))
    assert devices(scratch_copy(gpt, torch.Generator().manual_seed(0))) == {torch.device("meta")}
    model, _ = finetuning_setup(gpt, tok, "sentiment", train_examples=train, batch_size=4, lm_weight=0.0,
                                generator=torch.Generator().manual_seed(0))
    assert devices(model) == {torch.device("meta")}


def test_finetuning_setup_puts_gpt_and_new_head_on_the_device_and_leaves_the_original(setup):
    tok, gpt, train, _ = setup
    model, next_batch = finetuning_setup(gpt, tok, "sentiment", train_examples=train, batch_size=4,
                                         lm_weight=0.0, generator=torch.Generator().manual_seed(0),
                                         device="meta")
    assert devices(model) == {torch.device("meta")}  # the copied GPT and the new linear layer
    assert devices(gpt) == {CPU}
    assert next_batch()["input_ids"].device == CPU  # train() moves each batch to the model


@pytest.mark.parametrize("runner", ["finetune_gpt", "finetune_curve"])
def test_fine_tuning_runs_train_on_the_given_device(setup, runner):
    tok, gpt, train, test_batch = setup
    common = dict(train_examples=train, test_batch=test_batch, steps=2, batch_size=4,
                  generator=torch.Generator().manual_seed(0), device="cpu")
    if runner == "finetune_gpt":
        run = finetune_gpt(gpt, tok, "sentiment", **common)
    else:
        run = finetune_curve(gpt, tok, "sentiment", val_batch=test_batch, **common)
        assert len(run.val_task_loss) == 2
    assert devices(run.model) == {CPU}
    assert 0.0 <= run.accuracy <= 1.0 and len(run.history.train_loss) == 2


def test_bert_accuracy_feeds_the_model_on_its_device():
    tok = WordTokenizer.train(synthetic_corpus(100))
    config = BertConfig.tiny(tok.vocab_size)
    torch.manual_seed(0)
    cases = ((BertForSequenceClassification(config, n_labels=2), sentiment_batch(tok, make_sentiment(6))),
             (BertForTokenClassification(config, n_labels=4), tagging_batch(tok, make_tagging(6))))
    for head, batch in cases:
        seen = []

        def record(_, args, kwargs, seen=seen):
            seen.append(kwargs["input_ids"].device)

        head.to("cpu").register_forward_pre_hook(record, with_kwargs=True)
        assert 0.0 <= bert_accuracy(head, batch) <= 1.0
        assert seen and set(seen) == {CPU}


def test_fill_one_blank_returns_its_results_on_the_cpu():
    tok = WordTokenizer.train(synthetic_corpus(100))
    torch.manual_seed(0)
    bert = Bert(BertConfig.tiny(tok.vocab_size)).to("cpu")
    ltr, rtl = (GPT(GPTConfig.tiny(tok.vocab_size)).to("cpu") for _ in range(2))
    documents = [split_sentences(story) for story in synthetic_corpus(20)]
    pairs = make_nsp_pairs(documents, 3, generator=torch.Generator().manual_seed(0))
    batch = collate_pairs([bert_pair_input(tok, p.a, p.b) for p in pairs], pad_id=tok.pad_token_id)
    result = fill_one_blank(bert, ltr, rtl, [batch], mask_id=tok.mask_token_id,
                            special_ids=tok.special_token_ids)
    assert result.position.device == CPU
    assert {c.device for c in result.correct.values()} == {CPU}
    assert all(0.0 <= a <= 1.0 for a in result.accuracy.values())
