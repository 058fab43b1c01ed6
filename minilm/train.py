"""One small training loop for every model in the course.

AdamW, a learning rate that warms up linearly then follows a cosine (or stays constant),
gradient clipping, a progress bar (a widget in a notebook, plain lines in a log), periodic
evaluation and a ``History`` of losses to plot. A model only has to return an object with
a ``.loss`` when called as ``model(**batch)``.

    history = train(model, lambda: next_batch(), steps=300, lr=3e-3, eval_batches=[val])
    history.plot()
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch

from minilm.checks import check_positive_int
from minilm.device import move_to

Batch = dict[str, torch.Tensor]


@dataclass
class History:
    """Losses recorded during training, ready to plot."""

    steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def final_train_loss(self) -> float:
        """Mean of the last 10 % of training losses (a single step is noisy)."""
        tail = max(1, len(self.train_loss) // 10)
        return sum(self.train_loss[-tail:]) / tail

    def plot(self, ax=None, *, label: str = "", log: bool = False):
        """Training (and eval) loss against step; returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        prefix = f"{label} " if label else ""
        ax.plot(self.steps, self.train_loss, alpha=0.8, label=f"{prefix}train")
        if self.eval_steps:
            ax.plot(self.eval_steps, self.eval_loss, "o-", label=f"{prefix}eval")
        ax.set(xlabel="step", ylabel="loss")
        if log:
            ax.set_yscale("log")
        ax.legend()
        ax.grid(alpha=0.3)
        return ax


def lr_at(step: int, *, lr: float, steps: int, warmup: int, schedule: str) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to 10 % of ``lr`` (or constant)."""
    if step < warmup:
        return lr * (step + 1) / warmup
    if schedule == "constant":
        return lr
    progress = (step - warmup) / max(1, steps - warmup)
    return lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


@torch.no_grad()
def evaluate(model, batches: Iterable[Batch], device=None) -> float:
    """Mean loss over ``batches`` with dropout off."""
    was_training = model.training
    model.eval()
    losses = [float(model(**move_to(b, device)).loss) for b in batches]
    model.train(was_training)
    if not losses:
        raise ValueError("eval_batches is empty")
    return sum(losses) / len(losses)


def train(model, batches: Callable[[], Batch] | Iterable[Batch], *, steps: int,
          lr: float = 3e-3, weight_decay: float = 0.01, warmup: int = 0,
          schedule: str = "cosine", grad_clip: float | None = 1.0,
          eval_batches: Iterable[Batch] | None = None, eval_every: int | None = None,
          max_seconds: float | None = None, progress: bool | str = "auto",
          device=None, optimizer: torch.optim.Optimizer | None = None,
          desc: str = "training") -> History:
    """Train ``model`` for ``steps`` optimizer steps and return its ``History``.

    ``batches`` is a function returning a new batch dict per call, or an iterable of them
    (cycled if it runs out). ``max_seconds`` stops early when time is up (the history says
    how far it got). ``progress``: "auto" (a bar in notebooks and terminals, a few plain
    lines in logs), True, or False.
    """
    check_positive_int(steps, "steps")
    check_positive_int(warmup, "warmup", allow_zero=True)
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    eval_batches = list(eval_batches) if eval_batches is not None else None
    eval_every = eval_every or max(1, steps // 5)
    next_batch = _batch_source(batches)
    if optimizer is None:
        optimizer = make_optimizer(model, lr=lr, weight_decay=weight_decay)
    model.train()
    history, start = History(), time.perf_counter()
    bar = _ProgressBar(steps, desc, progress)
    for step in range(steps):
        step_lr = lr_at(step, lr=lr, steps=steps, warmup=warmup, schedule=schedule)
        for group in optimizer.param_groups:
            group["lr"] = step_lr
        loss = model(**move_to(next_batch(), device)).loss
        if not torch.isfinite(loss):
            bar.close()
            raise FloatingPointError(f"loss became {loss.item()} at step {step}; "
                                     "try a smaller lr or enable grad_clip")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        history.steps.append(step)
        history.train_loss.append(loss.item())
        history.lr.append(step_lr)
        last = step == steps - 1 or (max_seconds is not None
                                     and time.perf_counter() - start > max_seconds)
        if eval_batches and ((step + 1) % eval_every == 0 or last):
            history.eval_steps.append(step)
            history.eval_loss.append(evaluate(model, eval_batches, device))
        bar.update(history)
        if last:
            break
    bar.close()
    history.seconds = time.perf_counter() - start
    return history


def make_optimizer(model, *, lr: float, weight_decay: float = 0.01) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only: decaying biases, LayerNorm gains and
    embeddings' rows of rare tokens towards zero hurts more than it regularises."""
    params = {id(p): p for p in model.parameters() if p.requires_grad}.values()
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    try:
        # One fused kernel updates every parameter: on CPU about 5x faster than the default
        # loop over tensors (benchmarks/), with the same update rule.
        return torch.optim.AdamW(groups, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.AdamW(groups, lr=lr)


def _batch_source(batches) -> Callable[[], Batch]:
    if callable(batches):
        return batches
    if isinstance(batches, dict):
        return lambda: batches  # one fixed batch: handy for "can it overfit?" checks
    items = list(batches)
    if not items:
        raise ValueError("batches is empty")
    iterator: Iterator[Batch] = iter(())

    def next_batch() -> Batch:
        nonlocal iterator
        try:
            return next(iterator)
        except StopIteration:
            iterator = iter(items)
            return next(iterator)

    return next_batch


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class _ProgressBar:
    """tqdm in a notebook or terminal; in a log (CI, nbval, a pipe) a few plain lines."""

    def __init__(self, total: int, desc: str, mode: bool | str):
        self.total, self.desc, self.bar, self.plain = total, desc, None, False
        if mode is False:
            return
        interactive = _in_notebook() or sys.stderr.isatty()
        if mode is True or interactive:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc=desc, leave=True)
        else:
            self.plain = True
            self.every = max(1, total // 5)

    def update(self, history: History) -> None:
        step, loss = history.steps[-1], history.train_loss[-1]
        if self.bar is not None:
            postfix = {"loss": f"{loss:.3f}"}
            if history.eval_loss:
                postfix["eval"] = f"{history.eval_loss[-1]:.3f}"
            self.bar.set_postfix(postfix, refresh=False)
            self.bar.update(1)
        elif self.plain and ((step + 1) % self.every == 0 or step + 1 == self.total):
            line = f"{self.desc}: step {step + 1}/{self.total}  loss {loss:.3f}"
            if history.eval_loss:
                line += f"  eval {history.eval_loss[-1]:.3f}"
            print(line, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
