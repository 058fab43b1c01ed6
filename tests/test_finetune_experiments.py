"""Fine-tuning runs with learning curves: the curve is the task loss L_2 for every lambda,
runs are reproducible from their generator, and the learning rate is picked on validation
accuracy."""

import pytest
import torch

from minilm.data import synthetic_corpus
from minilm.finetune.experiments import CurveRun, best_lr, finetune_curve
from minilm.finetune.gpt_tasks import finetune_gpt, task_batch, task_data
from minilm.models import GPT, GPTConfig
from minilm.tokenizer import WordTokenizer


@pytest.fixture(scope="module")
def setup():
    tok = WordTokenizer.train(synthetic_corpus(300))
    torch.manual_seed(0)
    gpt = GPT(GPTConfig.tiny(tok.vocab_size))
    train, test = task_data("entailment", n_train=32, n_test=16)
    val = task_data("entailment", n_train=8, n_test=12, seed=10)[1]
    return tok, gpt, train, task_batch(tok, test), task_batch(tok, val)


def curve(setup, *, lm_weight=0.0, steps=6, eval_every=2, seed=0):
    tok, gpt, train, test_batch, val_batch = setup
    return finetune_curve(gpt, tok, "entailment", train_examples=train, test_batch=test_batch,
                          val_batch=val_batch, steps=steps, batch_size=4, lr=1e-3, lm_weight=lm_weight,
                          eval_every=eval_every, generator=torch.Generator().manual_seed(seed))


def test_the_curve_is_the_validation_task_loss_without_the_lm_term(setup):
    run = curve(setup, lm_weight=0.5)
    assert run.eval_steps == [2, 4, 6]
    val_batch = setup[4]
    run.model.eval()
    with torch.no_grad():
        out = run.model(**val_batch)
    # the last point was measured on the final weights: L_2 alone, not L_2 + 0.5 * L_1
    assert run.val_task_loss[-1] == pytest.approx(float(out.task_loss), rel=1e-5)
    assert float(out.loss) > float(out.task_loss) + 0.1  # the LM term is not small here
    # the training loss is still L_3: with a random GPT, L_1 adds about 0.5 * ln V
    assert run.history.train_loss[0] > run.val_task_loss[0] + 1.0


def test_same_generator_same_run_and_same_training_as_finetune_gpt(setup):
    a, b = curve(setup, seed=3), curve(setup, seed=3)
    assert a.history.train_loss == b.history.train_loss and a.val_task_loss == b.val_task_loss
    tok, gpt, train, test_batch, _ = setup
    plain = finetune_gpt(gpt, tok, "entailment", train_examples=train, test_batch=test_batch, steps=6,
                         batch_size=4, lr=1e-3, generator=torch.Generator().manual_seed(3))
    # evaluating along the way changes nothing about the training itself
    assert a.history.train_loss == pytest.approx(plain.history.train_loss, rel=1e-6)
    assert a.accuracy == plain.accuracy


def _run_with(val_accuracy):
    return CurveRun("entailment", 0.0, 0.0, None, None, 0.5, val_accuracy, [], [])


def test_best_lr_takes_the_highest_validation_accuracy_and_the_smaller_lr_on_a_tie():
    assert best_lr({1e-3: _run_with(0.6), 3e-3: _run_with(0.7), 3e-4: _run_with(0.5)}) == 3e-3
    assert best_lr({1e-3: _run_with(0.7), 3e-3: _run_with(0.7)}) == 1e-3
    with pytest.raises(ValueError, match="runs is empty"):
        best_lr({})
