"""GPT fine-tuning runs that also record how fast they learn, for comparisons over seeds.

``finetune_gpt`` (``minilm.finetune.gpt_tasks``) answers "how accurate after N steps?".
Two questions of notebook 04 need more than that:

- does the auxiliary LM loss speed up convergence (Radford et al., 2018, Sec. 3.2)? That
  needs the *task* loss L_2 along the way, on examples the model does not train on, for
  lambda = 0 and lambda = 0.5 on the same scale (the training loss of a lambda = 0.5 run
  is L_2 + 0.5 * L_1, not comparable with L_2 alone);
- is a baseline trained from scratch held back only by a learning rate that suits the
  pretrained model? That needs a choice of learning rate made on a validation split, not
  on the test examples the comparison is scored on.

``finetune_curve`` does one run and records the validation task loss every
``eval_every`` steps; ``best_lr`` picks, from a small sweep of such runs, the learning
rate with the best validation accuracy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from minilm.checks import check_positive_int
from minilm.finetune.gpt_tasks import accuracy, finetuning_setup
from minilm.train import History, train


class _TaskLossWhenEvaluating(nn.Module):
    """Trains on the wrapped head's loss (L_3 = L_2 + lambda * L_1) but reports L_2 alone
    in eval mode, so ``train``'s evaluation curve is the task loss for every lambda."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids, *, attention_mask=None, labels=None):
        out = self.model(input_ids, attention_mask=attention_mask, labels=labels)
        return out if self.training else dataclasses.replace(out, loss=out.task_loss)


@dataclass
class CurveRun:
    """One fine-tuning run: the model, its test and validation accuracy, and the validation
    task loss L_2 after each ``eval_steps`` step (counted from 1)."""

    task: str
    lm_weight: float
    lr: float
    model: nn.Module
    history: History
    accuracy: float          # on the test examples
    val_accuracy: float      # on the validation examples
    eval_steps: list[int]    # steps done when the validation loss was measured
    val_task_loss: list[float]


def finetune_curve(gpt: nn.Module, tokenizer, task: str, *, train_examples: Sequence,
                   test_batch: dict[str, torch.Tensor], val_batch: dict[str, torch.Tensor],
                   steps: int, batch_size: int = 16, lr: float = 1e-3, lm_weight: float = 0.0,
                   eval_every: int | None = None, generator: torch.Generator | None = None,
                   device: torch.device | str | None = None) -> CurveRun:
    """Fine-tune a *copy* of ``gpt`` on ``task`` as ``finetune_gpt`` does (same head, same
    batches from ``generator``, warm-up then cosine decay, on ``device``, default
    ``minilm.device.default_device()``) and record the task loss on ``val_batch`` every
    ``eval_every`` steps (default: 10 points per run)."""
    check_positive_int(steps, "steps")
    eval_every = eval_every or max(1, steps // 10)
    model, next_batch = finetuning_setup(gpt, tokenizer, task, train_examples=train_examples,
                                         batch_size=batch_size, lm_weight=lm_weight, generator=generator,
                                         device=device)
    history = train(_TaskLossWhenEvaluating(model), next_batch, steps=steps, lr=lr,
                    warmup=max(1, steps // 10), eval_batches=[val_batch], eval_every=eval_every,
                    progress=False)
    return CurveRun(task, lm_weight, lr, model, history, accuracy(model, test_batch),
                    accuracy(model, val_batch), [s + 1 for s in history.eval_steps],
                    list(history.eval_loss))


def best_lr(runs: dict[float, CurveRun]) -> float:
    """The learning rate whose run (``runs``: learning rate -> ``CurveRun``) has the highest
    validation accuracy; on a tie, the smaller learning rate."""
    if not runs:
        raise ValueError("runs is empty; give at least one learning rate's run")
    return max(runs, key=lambda lr: (runs[lr].val_accuracy, -lr))
