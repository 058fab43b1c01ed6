"""evaluating(model): eval mode inside the block, every module's own mode given back after
it, also when the block raises."""

import pytest
import torch
from torch import nn

from minilm.modes import evaluating


def model_with_a_frozen_part():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)))
    model.train()
    model[2].eval()  # a part the caller keeps in eval mode on purpose
    return model


def modes(model):
    return [m.training for m in model.modules()]


def test_eval_inside_and_each_modules_mode_restored_after():
    model = model_with_a_frozen_part()
    before = modes(model)
    assert before == [True, True, True, False, False, False]
    with evaluating(model):
        assert not any(modes(model))
        x = torch.ones(1, 2)
        torch.testing.assert_close(model(x), model(x))  # dropout off: deterministic
    assert modes(model) == before


def test_modes_are_restored_when_the_block_raises():
    model = model_with_a_frozen_part()
    before = modes(model)
    with pytest.raises(RuntimeError, match="inside"), evaluating(model):
        raise RuntimeError("inside")
    assert modes(model) == before


def test_several_models_at_once():
    a, b = nn.Dropout(0.5).train(), nn.Dropout(0.5).eval()
    with evaluating(a, b):
        assert not a.training and not b.training
    assert a.training and not b.training


def test_rejects_what_is_not_a_module():
    with pytest.raises(TypeError, match="models"), evaluating(lambda x: x):
        pass
