"""Evaluation mode for a block of code, with the caller's mode given back afterwards.

Dropout is on while a model trains and must be off when it is measured or asked to
generate. A function that measures a model should not leave it in a different mode than
it found it (a training loop that calls it would silently stop using dropout):

    with evaluating(model):
        logits = model(input_ids).logits

switches every module of ``model`` to ``eval()`` and restores each ``training`` flag
afterwards, also when the block raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def evaluating(*models: nn.Module) -> Iterator[None]:
    """Put ``models`` in eval mode for the ``with`` block, then restore every submodule's
    own ``training`` flag (a model may have been partly frozen in eval mode on purpose)."""
    for model in models:
        if not isinstance(model, nn.Module):
            raise TypeError(f"models must be torch.nn.Module instances, got {type(model).__name__}")
    modes = [(module, module.training) for model in models for module in model.modules()]
    for model in models:
        model.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.training = training
