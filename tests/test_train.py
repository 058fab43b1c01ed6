"""The training loop: schedule by hand, loss goes down, history, early exit, errors."""

import math

import pytest
import torch

from minilm.models import GPT, GPTConfig
from minilm.objectives.clm import clm_labels
from minilm.train import evaluate, lr_at, make_optimizer, train


def test_lr_warmup_then_cosine_by_hand():
    kw = dict(lr=1.0, steps=110, warmup=10, schedule="cosine")
    assert lr_at(0, **kw) == pytest.approx(0.1)       # (0 + 1) / 10
    assert lr_at(9, **kw) == pytest.approx(1.0)
    assert lr_at(10, **kw) == pytest.approx(1.0)      # cosine starts at the peak
    assert lr_at(60, **kw) == pytest.approx(0.1 + 0.9 * 0.5)  # half-way: cos(pi/2) = 0
    assert lr_at(110, **kw) == pytest.approx(0.1)     # floor: 10 % of the peak
    assert lr_at(50, lr=1.0, steps=110, warmup=0, schedule="constant") == 1.0


def tiny_batch(gen, vocab=20, B=8, T=16):
    ids = torch.randint(0, vocab, (B, T), generator=gen)
    return {"input_ids": ids, "labels": clm_labels(ids)}


def test_training_memorises_a_fixed_batch():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = GPT(GPTConfig.tiny(20))
    batch = tiny_batch(gen)
    history = train(model, batch, steps=60, lr=1e-2, warmup=5, progress=False)
    # over seeds 0-4, 1 thread: first loss 2.97-3.04, last 0.014-0.026
    assert history.train_loss[0] > math.log(20) - 0.5  # starts near chance, ln(20) ~ 3.0
    assert history.final_train_loss < 0.5 * history.train_loss[0]
    assert len(history.steps) == len(history.lr) == 60


def test_eval_loss_is_recorded_and_matches_evaluate():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = GPT(GPTConfig.tiny(20))
    batches = [tiny_batch(gen) for _ in range(3)]
    val = [tiny_batch(gen)]
    history = train(model, batches, steps=10, eval_batches=val, eval_every=5, progress=False)
    assert history.eval_steps == [4, 9]
    assert history.eval_loss[-1] == pytest.approx(evaluate(model, val))


def test_max_seconds_stops_early():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = GPT(GPTConfig.tiny(20))
    history = train(model, lambda: tiny_batch(gen), steps=10_000, max_seconds=0.5, progress=False)
    assert 0 < len(history.steps) < 10_000


def test_plain_progress_lines_outside_a_terminal(capsys):
    torch.manual_seed(0)
    model = GPT(GPTConfig.tiny(20))
    train(model, tiny_batch(torch.Generator().manual_seed(0)), steps=10, progress="auto",
          desc="demo")
    out = capsys.readouterr().out
    assert "demo: step 10/10" in out
    assert out.count("\n") <= 6  # a few lines, not one per step


def test_weight_decay_skips_biases_and_norms():
    model = GPT(GPTConfig.tiny(20))
    decay, no_decay = make_optimizer(model, lr=1e-3).param_groups
    assert all(p.dim() >= 2 for p in decay["params"]) and decay["weight_decay"] > 0
    assert all(p.dim() < 2 for p in no_decay["params"]) and no_decay["weight_decay"] == 0


@pytest.mark.parametrize("kwargs, error, match", [
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": 5, "schedule": "linear"}, ValueError, "schedule"),
    ({"steps": 5, "lr": 0}, ValueError, "lr"),
    ({"steps": 5, "warmup": -1}, ValueError, "warmup"),
    ({"steps": 2.5}, TypeError, "steps"),
    # a negative clip norm or decay would train uphill; NaN/inf and wrong types are errors too
    ({"steps": 5, "grad_clip": -1.0}, ValueError, "grad_clip must be a finite number > 0"),
    ({"steps": 5, "grad_clip": 0}, ValueError, "None turns clipping off"),
    ({"steps": 5, "grad_clip": math.nan}, ValueError, "grad_clip"),
    ({"steps": 5, "grad_clip": "1"}, TypeError, "grad_clip"),
    ({"steps": 5, "weight_decay": -0.1}, ValueError, "weight_decay must be a finite number >= 0"),
    ({"steps": 5, "weight_decay": math.inf}, ValueError, "weight_decay"),
    ({"steps": 5, "weight_decay": None, "lr": math.nan}, ValueError, "lr"),
    ({"steps": 5, "lr": [1e-3]}, TypeError, "lr"),
    ({"steps": 5, "device": "gpu"}, ValueError, "device='gpu'"),
    ({"steps": 5, "device": 0.5}, TypeError, "device"),
    ({"steps": 5, "optimizer": "adam"}, TypeError, "optimizer"),
    ({"steps": 5, "eval_every": -1}, ValueError, "eval_every must be > 0"),  # was: every step
    ({"steps": 5, "max_seconds": -1}, ValueError, "max_seconds"),
])
def test_bad_training_arguments(kwargs, error, match):
    model = GPT(GPTConfig.tiny(20))
    with pytest.raises(error, match=match):
        train(model, tiny_batch(torch.Generator().manual_seed(0)), progress=False, **kwargs)


def test_unknown_progress_mode_is_an_error():
    with pytest.raises(ValueError, match="progress must be True, False or 'auto', got 'yes'"):
        train(GPT(GPTConfig.tiny(20)), tiny_batch(torch.Generator().manual_seed(0)), steps=1,
              progress="yes")


def test_empty_batches_is_an_error():
    with pytest.raises(ValueError, match="batches is empty"):
        train(GPT(GPTConfig.tiny(20)), [], steps=1, progress=False)


def test_zero_weight_decay_and_no_clipping_are_allowed():
    model = GPT(GPTConfig.tiny(20))
    history = train(model, tiny_batch(torch.Generator().manual_seed(0)), steps=2, weight_decay=0,
                    grad_clip=None, progress=False)
    assert len(history.steps) == 2


def test_a_passed_optimizer_keeps_its_own_learning_rates():
    # Before, every group's lr was overwritten by train's lr (3e-3) at every step.
    model = GPT(GPTConfig.tiny(20))
    optimizer = torch.optim.SGD([{"params": [model.embed.token.weight], "lr": 0.5},
                                 {"params": [p for n, p in model.named_parameters()
                                             if n != "embed.token.weight"], "lr": 0.01}])
    batch = tiny_batch(torch.Generator().manual_seed(0))
    history = train(model, batch, steps=4, warmup=2, schedule="constant", optimizer=optimizer,
                    progress=False)
    # warm-up scales each group's own lr: 1/2 then 2/2, then constant
    assert history.lr == pytest.approx([0.25, 0.5, 0.5, 0.5])
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 0.01]  # given back afterwards
    # a second call starts again from the groups' own lr, not from where the schedule left off
    history = train(model, batch, steps=3, optimizer=optimizer, progress=False)
    # last of 3 cosine steps: 0.1 + 0.9 * 0.5 * (1 + cos(2 pi / 3)) = 0.325 of the group's lr
    assert history.lr == pytest.approx([0.5, 0.5 * 0.775, 0.5 * 0.325])
    assert [g["lr"] for g in optimizer.param_groups] == [0.5, 0.01]


def test_lr_with_a_passed_optimizer_is_an_error_not_ignored():
    model = GPT(GPTConfig.tiny(20))
    optimizer = make_optimizer(model, lr=1e-3)
    for kwargs in ({"lr": 1e-2}, {"weight_decay": 0.0}):
        with pytest.raises(ValueError, match="only when train builds the optimizer"):
            train(model, tiny_batch(torch.Generator().manual_seed(0)), steps=1,
                  optimizer=optimizer, progress=False, **kwargs)


class MeanOfLabelled(torch.nn.Module):
    """Loss = mean over labelled positions: NaN when every label is -100, as a plain mean is."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(()))
        self.seen_devices = []

    def forward(self, input_ids, labels):
        self.seen_devices += [input_ids.device, labels.device]
        keep = labels != -100
        loss = (self.w * input_ids.float())[keep].mean()
        return type("Out", (), {"loss": loss})()


def test_nan_loss_from_a_batch_without_labels_says_so_not_lower_the_lr():
    batch = {"input_ids": torch.ones(2, 3, dtype=torch.long),
             "labels": torch.full((2, 3), -100)}
    with pytest.raises(FloatingPointError, match="no labelled position") as info:
        train(MeanOfLabelled(), batch, steps=1, progress=False)
    assert "smaller lr" not in str(info.value)


def available_devices():
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append(torch.device("mps"))
    return devices


@pytest.fixture(params=available_devices(), ids=str)
def device(request):
    return request.param


def test_train_and_eval_move_the_model_and_every_batch_to_device(device):
    torch.manual_seed(0)
    model = GPT(GPTConfig.tiny(20))
    gen = torch.Generator().manual_seed(0)  # batches are built on the CPU
    history = train(model, [tiny_batch(gen)], steps=3, eval_batches=[tiny_batch(gen)], eval_every=3,
                    device=device, progress=False)
    assert {p.device.type for p in model.parameters()} == {device.type}
    assert len(history.eval_loss) == 1 and math.isfinite(history.eval_loss[0])


def test_default_device_is_the_models_own(device):
    model = MeanOfLabelled().to(device)
    batch = {"input_ids": torch.ones(2, 3, dtype=torch.long), "labels": torch.ones(2, 3, dtype=torch.long)}
    train(model, batch, steps=2, eval_batches=[batch], progress=False)
    evaluate(model, [batch])
    assert {d.type for d in model.seen_devices} == {device.type}
