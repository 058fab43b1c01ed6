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

from minilm.checks import check_non_negative_number, check_positive_int, check_positive_number
from minilm.constants import IGNORE_INDEX
from minilm.device import chosen_device, move_to
from minilm.modes import evaluating

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
def evaluate(model, batches: Iterable[Batch], device: torch.device | str | None = None) -> float:
    """Mean loss over ``batches`` with dropout off.

    Every batch tensor is moved to ``device``; the default is the device the model's
    parameters are on.
    """
    device = resolve_device(model, device)
    with evaluating(model):
        losses = [float(model(**move_to(b, device)).loss) for b in batches]
    if not losses:
        raise ValueError("eval_batches is empty")
    return sum(losses) / len(losses)


def train(model, batches: Callable[[], Batch] | Iterable[Batch], *, steps: int,
          lr: float | None = None, weight_decay: float | None = None, warmup: int = 0,
          schedule: str = "cosine", grad_clip: float | None = 1.0,
          eval_batches: Iterable[Batch] | None = None, eval_every: int | None = None,
          max_seconds: float | None = None, progress: bool | str = "auto",
          device: torch.device | str | None = None, optimizer: torch.optim.Optimizer | None = None,
          desc: str = "training") -> History:
    """Train ``model`` for ``steps`` optimizer steps and return its ``History``.

    ``batches`` is a function returning a new batch dict per call, or an iterable of them
    (cycled if it runs out). ``max_seconds`` stops early when time is up (the history says
    how far it got). ``progress``: "auto" (a bar in notebooks and terminals, a few plain
    lines in logs), True, or False.

    The optimizer: by default ``train`` builds AdamW (``make_optimizer``) with peak
    learning rate ``lr`` (default 3e-3) and ``weight_decay`` (default 0.01; 0 turns it
    off). Pass your own ``optimizer`` instead and it keeps its own learning rates: the
    warm-up/cosine schedule then multiplies each parameter group's own learning rate during
    the run, and sets it back when training ends (so a second call starts from the same
    rates). Giving ``lr`` or ``weight_decay`` as well is an error: they would go unused.

    ``grad_clip`` caps the gradient norm (a finite number > 0); ``None`` turns clipping off.

    ``device``: where training runs; the model is moved there and so is every batch tensor.
    The default is the device the model's parameters are already on (so a model built on
    ``minilm.device.default_device()`` trains there, while CPU batches follow it).
    """
    check_positive_int(steps, "steps")
    check_positive_int(warmup, "warmup", allow_zero=True)
    if schedule not in ("cosine", "constant"):
        raise ValueError(f"schedule must be 'cosine' or 'constant', got {schedule!r}")
    if grad_clip is not None:
        check_positive_number(grad_clip, "grad_clip", meaning="the largest gradient norm; "
                              "None turns clipping off")
    if optimizer is None:
        lr = 3e-3 if lr is None else check_positive_number(lr, "lr", meaning="the peak learning rate")
        weight_decay = 0.01 if weight_decay is None else check_non_negative_number(
            weight_decay, "weight_decay", meaning="0 turns weight decay off")
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    elif lr is not None or weight_decay is not None:
        raise ValueError("lr and weight_decay are used only when train builds the optimizer; "
                         "with optimizer= set them in your optimizer instead")
    if eval_every is not None:
        check_positive_int(eval_every, "eval_every")
    if max_seconds is not None:
        check_positive_number(max_seconds, "max_seconds", meaning="None means no time limit")
    if progress not in (True, False, "auto"):
        raise ValueError(f"progress must be True, False or 'auto', got {progress!r}")
    device = resolve_device(model, device)
    model.to(device)
    eval_batches = list(eval_batches) if eval_batches is not None else None
    eval_every = eval_every or max(1, steps // 5)
    next_batch = _batch_source(batches)
    if optimizer is None:
        optimizer = make_optimizer(model, lr=lr, weight_decay=weight_decay)
    base_lrs = [group["lr"] for group in optimizer.param_groups]  # what the schedule scales
    bar = _ProgressBar(steps, desc, progress)
    try:
        return _run(model, optimizer, base_lrs, next_batch, steps=steps, warmup=warmup,
                    schedule=schedule, grad_clip=grad_clip, eval_batches=eval_batches,
                    eval_every=eval_every, max_seconds=max_seconds, device=device, bar=bar)
    finally:  # also on an error or Ctrl-C: close the bar, give back the optimizer's own lr
        bar.close()
        for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
            group["lr"] = base


def _run(model, optimizer, base_lrs, next_batch, *, steps, warmup, schedule, grad_clip,
         eval_batches, eval_every, max_seconds, device, bar) -> History:
    """The loop itself: ``train`` has checked every argument."""
    model.train()
    history, start = History(), time.perf_counter()
    for step in range(steps):
        factor = lr_at(step, lr=1.0, steps=steps, warmup=warmup, schedule=schedule)
        for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
            group["lr"] = base * factor
        batch = move_to(next_batch(), device)
        loss = model(**batch).loss
        if not torch.isfinite(loss):
            raise FloatingPointError(_non_finite_loss_message(loss, step, batch))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        history.steps.append(step)
        history.train_loss.append(loss.item())
        history.lr.append(optimizer.param_groups[0]["lr"])
        last = step == steps - 1 or (max_seconds is not None
                                     and time.perf_counter() - start > max_seconds)
        if eval_batches and ((step + 1) % eval_every == 0 or last):
            history.eval_steps.append(step)
            history.eval_loss.append(evaluate(model, eval_batches, device))
        bar.update(history)
        if last:
            break
    history.seconds = time.perf_counter() - start
    return history


def resolve_device(model, device: torch.device | str | None) -> torch.device:
    """``device`` as a ``torch.device``; None means the device of the model's first parameter
    (the CPU for a model without parameters)."""
    if device is None:
        first = next(iter(model.parameters()), None)
        return first.device if first is not None else torch.device("cpu")
    return chosen_device(device)


def _non_finite_loss_message(loss: torch.Tensor, step: int, batch: Batch) -> str:
    """Why the loss is NaN/inf: a batch with nothing to predict is not a learning-rate problem."""
    unlabelled = [k for k, v in batch.items() if k.endswith("labels") and isinstance(v, torch.Tensor)
                  and not v.is_floating_point() and bool((v == IGNORE_INDEX).all())]
    if unlabelled:
        return (f"loss became {loss.item()} at step {step} because the batch has no labelled "
                f"position: every entry of {unlabelled[0]} is {IGNORE_INDEX} (ignored), so there "
                "is nothing to average; check how the batch's labels are built")
    return f"loss became {loss.item()} at step {step}; try a smaller lr or enable grad_clip"


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
    if not isinstance(batches, Iterable):
        raise TypeError(f"batches must be a function returning a batch dict, a batch dict or an "
                        f"iterable of them, got {type(batches).__name__}")
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
