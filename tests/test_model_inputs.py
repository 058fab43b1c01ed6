"""What every model's forward accepts: one meaning for ``attention_mask``, labels that cannot
teach the wrong thing, and tensors made on the input's device.

A Hugging Face habit must either work as it does there or fail with a message that names
the argument; it must never give a different answer with no error.
"""

import math

import pytest
import torch

from minilm.masks import prefix_lm_mask
from minilm.models import (
    CBOW,
    GLM,
    GPT,
    Autoencoder,
    AutoencoderConfig,
    Bart,
    BartConfig,
    Bert,
    BertConfig,
    CBOWConfig,
    DeepNet,
    DeepNetConfig,
    EncoderConfig,
    EncoderLM,
    GLMConfig,
    GPTConfig,
    Seq2Seq,
    Seq2SeqConfig,
)
from minilm.models.cbow import cbow_examples
from minilm.objectives.clm import clm_labels

V = 40


def glm_call(model, ids, **kw):
    B, T = ids.shape
    positions = torch.stack([torch.arange(T, device=ids.device),
                             torch.zeros(T, dtype=torch.long, device=ids.device)])
    return model(ids, positions.expand(B, 2, T), T // 2, **kw)


def source_call(model, ids, attention_mask=None, **kw):
    """The source side of an encoder-decoder: ``attention_mask`` goes with ``input_ids``."""
    return model(ids, decoder_input_ids=ids.flip(1), attention_mask=attention_mask, **kw)


def target_call(model, ids, attention_mask=None, **kw):
    """The target side: the mask under test is ``decoder_attention_mask``."""
    return model(ids.flip(1), decoder_input_ids=ids, decoder_attention_mask=attention_mask, **kw)


def plain_call(model, ids, **kw):
    return model(ids, **kw)


# name -> (build the model, call it on [B, T] ids, the names a mask error must mention)
MODELS = {
    "GPT": (lambda: GPT(GPTConfig.tiny(V)), plain_call, ("attention_mask", "input_ids")),
    "EncoderLM": (lambda: EncoderLM(EncoderConfig.tiny(V)), plain_call, ("attention_mask", "input_ids")),
    "Bert": (lambda: Bert(BertConfig.tiny(V)), plain_call, ("attention_mask", "input_ids")),
    "GLM": (lambda: GLM(GLMConfig.tiny(V)), glm_call, ("attention_mask", "input_ids")),
    "Seq2Seq source": (lambda: Seq2Seq(Seq2SeqConfig.tiny(V)), source_call, ("attention_mask", "input_ids")),
    "Seq2Seq target": (lambda: Seq2Seq(Seq2SeqConfig.tiny(V)), target_call,
                       ("decoder_attention_mask", "decoder_input_ids")),
    "Bart source": (lambda: Bart(BartConfig.tiny(V)), source_call, ("attention_mask", "input_ids")),
    "Bart target": (lambda: Bart(BartConfig.tiny(V)), target_call,
                    ("decoder_attention_mask", "decoder_input_ids")),
}


def build(name):
    torch.manual_seed(0)
    make, call, names = MODELS[name]
    return make().eval(), call, names


def ids_(B=4, T=6, seed=0):
    return torch.randint(5, V, (B, T), generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------- attention_mask
@pytest.mark.parametrize("name", MODELS)
def test_a_square_bool_padding_mask_means_padding_like_an_int_one(name):
    """B == T: a bool [B, T] padding mask must not be read as a [T, T] attention matrix."""
    model, call, _ = build(name)
    ids = ids_(B=4, T=4)
    lengths = torch.tensor([4, 3, 2, 4])
    as_int = (torch.arange(4) < lengths[:, None]).long()
    with torch.no_grad():
        expected = call(model, ids, attention_mask=as_int).logits
        for mask in (as_int.bool(), as_int.float()):
            torch.testing.assert_close(call(model, ids, attention_mask=mask).logits, expected)


@pytest.mark.parametrize("shape", [(1, 6), (3, 6), (4, 7), (4, 5), (6, 6)],
                         ids=["batch-1 broadcast", "fewer rows", "longer", "shorter", "a [T, T] matrix"])
@pytest.mark.parametrize("name", MODELS)
def test_a_mask_not_shaped_like_the_ids_is_refused_naming_both(name, shape):
    model, call, names = build(name)
    ids = ids_(B=4, T=6)
    with pytest.raises(ValueError, match=r"\[B, T\]") as error:
        call(model, ids, attention_mask=torch.ones(shape, dtype=torch.long))
    for argument in names:
        assert argument in str(error.value)


@pytest.mark.parametrize("value", [0.5, 2.0, -1.0, math.nan, 2, -1],
                         ids=["0.5", "2.0", "-1.0", "nan", "int 2", "int -1"])
@pytest.mark.parametrize("name", MODELS)
def test_mask_values_other_than_0_and_1_are_refused(name, value):
    model, call, names = build(name)
    ids = ids_()
    mask = torch.ones(ids.shape, dtype=torch.long if isinstance(value, int) else torch.float)
    mask[1, 3] = value
    with pytest.raises(ValueError, match=f"{names[0]} must hold only 0 and 1"):
        call(model, ids, attention_mask=mask)


def test_a_full_attention_matrix_has_its_own_argument():
    """EncoderLM + ``attention_matrix=prefix_lm_mask(...)`` is a prefix LM; the same matrix
    given as ``attention_mask`` is refused, with a pointer to ``attention_matrix``."""
    torch.manual_seed(0)
    model = EncoderLM(EncoderConfig.tiny(V)).eval()
    ids = ids_(B=2, T=8)
    later = ids.clone()
    later[:, 5] = (ids[:, 5] - 4) % 35 + 5
    matrix = prefix_lm_mask(8, 3)
    with torch.no_grad():
        a = model(ids, attention_matrix=matrix).logits
        b = model(later, attention_matrix=matrix).logits
        both = model(ids, attention_matrix=matrix, attention_mask=torch.ones(2, 8)).logits
    torch.testing.assert_close(a[:, :5], b[:, :5])       # nothing before position 5 sees it
    assert not torch.allclose(a[:, 5:], b[:, 5:])
    torch.testing.assert_close(both, a)                  # no padding: the padding mask adds nothing
    with pytest.raises(ValueError, match="attention_matrix"):
        model(ids, attention_mask=matrix)
    with pytest.raises(ValueError, match="attention_matrix"):
        model(ids, attention_matrix=prefix_lm_mask(7, 3))
    with pytest.raises(TypeError, match="attention_matrix"):
        model(ids, attention_matrix=matrix.long())


# ----------------------------------------------------------------------- labels
CAUSAL = {  # name -> (build, call with these labels, the pointer in the message)
    "GPT": (lambda: GPT(GPTConfig.tiny(V)), lambda m, ids, labels: m(ids, labels=labels), "clm_labels"),
    "GLM": (lambda: GLM(GLMConfig.tiny(V)), lambda m, ids, labels: glm_call(m, ids, labels=labels),
            "glm_sample"),
    "Seq2Seq": (lambda: Seq2Seq(Seq2SeqConfig.tiny(V)),
                lambda m, ids, labels: m(ids.flip(1), decoder_input_ids=ids, labels=labels), "shift_right"),
}


@pytest.mark.parametrize("name", CAUSAL)
def test_labels_equal_to_the_causal_inputs_are_refused(name):
    """``labels=input_ids`` would train a causal model to copy its input."""
    make, call, pointer = CAUSAL[name]
    torch.manual_seed(0)
    model = make()
    ids = ids_()
    with pytest.raises(ValueError, match=pointer):
        call(model, ids, ids)
    padded = ids.clone()
    padded[0, 4:] = -100  # the Hugging Face habit, with padding ignored
    with pytest.raises(ValueError, match=pointer):
        call(model, ids, padded)


def test_shifted_labels_of_a_repeated_token_are_not_mistaken_for_a_copy():
    """[7 7 7 7]: its next-token labels equal its inputs, and that is the right target."""
    torch.manual_seed(0)
    model = GPT(GPTConfig.tiny(V))
    ids = torch.full((2, 5), 7)
    loss = model(ids, labels=clm_labels(ids)).loss
    assert torch.isfinite(loss)


LOSS_MODELS = {
    "GPT": lambda ids, labels: (GPT(GPTConfig.tiny(V)), dict(input_ids=ids, labels=labels)),
    "EncoderLM": lambda ids, labels: (EncoderLM(EncoderConfig.tiny(V)), dict(input_ids=ids, labels=labels)),
    "Bert": lambda ids, labels: (Bert(BertConfig.tiny(V)), dict(input_ids=ids, labels=labels)),
    "Seq2Seq": lambda ids, labels: (Seq2Seq(Seq2SeqConfig.tiny(V)),
                                    dict(input_ids=ids, decoder_input_ids=ids.flip(1), labels=labels)),
    "Bart": lambda ids, labels: (Bart(BartConfig.tiny(V)),
                                 dict(input_ids=ids, decoder_input_ids=ids.flip(1), labels=labels)),
}


def loss_of(name, labels):
    torch.manual_seed(0)
    ids = ids_()
    if name == "GLM":
        return glm_call(GLM(GLMConfig.tiny(V)), ids, labels=labels).loss, None
    model, kwargs = LOSS_MODELS[name](ids, labels)
    return model(**kwargs).loss, model


@pytest.mark.parametrize("name", [*LOSS_MODELS, "GLM"])
def test_labels_that_are_all_ignored_give_a_zero_loss_not_nan(name):
    loss, model = loss_of(name, torch.full((4, 6), -100))
    assert loss.item() == 0.0
    loss.backward()
    if model is not None:
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert grads and all(torch.count_nonzero(g) == 0 for g in grads)


def spoiled(value):
    """Labels with real targets and -100 elsewhere, one column set to ``value``."""
    labels = torch.full((4, 6), -100)
    labels[:, 2] = 9
    labels[:, 3] = value
    return labels


BAD_LABELS = {
    "id == vocab_size": (spoiled(V), ValueError),
    "-1": (spoiled(-1), ValueError),
    "-101": (spoiled(-101), ValueError),
    "float": (spoiled(9).float(), TypeError),
    "bool": (spoiled(1).clamp(min=0).bool(), TypeError),
}


@pytest.mark.parametrize("bad", BAD_LABELS)
@pytest.mark.parametrize("name", [*LOSS_MODELS, "GLM"])
def test_labels_outside_the_vocabulary_or_not_integers_are_refused(name, bad):
    labels, error = BAD_LABELS[bad]
    with pytest.raises(error, match="labels"):
        loss_of(name, labels)


# ---------------------------------------------------------------------- devices
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (
    ["mps"] if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    return torch.device(request.param)


def every_forward(device):
    """(name, model, kwargs) for one forward of every model, inputs on ``device``."""
    ids = ids_().to(device)
    mask = torch.ones_like(ids)
    mask[1, 4:] = 0
    labels = clm_labels(ids, mask)
    positions = torch.stack([torch.arange(6), torch.zeros(6, dtype=torch.long)]).expand(4, 2, 6).to(device)
    yield "GPT", GPT(GPTConfig.tiny(V)), dict(input_ids=ids, attention_mask=mask, labels=labels)
    yield "EncoderLM", EncoderLM(EncoderConfig.tiny(V)), dict(
        input_ids=ids, attention_mask=mask, labels=ids, attention_matrix=prefix_lm_mask(6, 2).to(device))
    yield "Bert", Bert(BertConfig.tiny(V)), dict(
        input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids), labels=ids,
        next_sentence_label=torch.tensor([0, 1, 0, 1], device=device))
    yield "GLM", GLM(GLMConfig.tiny(V)), dict(input_ids=ids, position_ids=positions,
                                              sep=torch.tensor([3, 3, 2, 4], device=device),
                                              attention_mask=mask, labels=labels)
    for name, cls, config in (("Seq2Seq", Seq2Seq, Seq2SeqConfig.tiny(V)),
                              ("Bart", Bart, BartConfig.tiny(V))):
        yield name, cls(config), dict(input_ids=ids, attention_mask=mask, decoder_input_ids=ids.flip(1),
                                      decoder_attention_mask=mask, labels=labels)
    yield "CBOW", CBOW(CBOWConfig(vocab_size=V)), dict(context=ids, labels=ids[:, 0])
    x = torch.rand(4, 64, device=device)
    yield "Autoencoder", Autoencoder(AutoencoderConfig()), dict(x=x)
    yield "DeepNet", DeepNet(DeepNetConfig()), dict(x=x, labels=torch.tensor([0, 1, 2, 3], device=device))


def test_every_model_runs_on_an_explicit_device(device):
    for name, model, kwargs in every_forward(device):
        out = model.to(device)(**kwargs)
        assert out.loss.device.type == device.type, name
        assert torch.isfinite(out.loss), name


def test_no_forward_makes_a_tensor_without_naming_its_device():
    """Factory calls without ``device=`` land on the default device; set that to "meta" and
    any such tensor meets the CPU inputs and fails, which a CPU-only run would never show."""
    for name, model, kwargs in every_forward(torch.device("cpu")):
        with torch.device("meta"):
            out = model(**kwargs)
        assert out.loss.device.type == "cpu", name


@pytest.mark.parametrize("labels, error", [(torch.tensor([0, 1, 2, 10]), ValueError),
                                           (torch.tensor([0, 1, 2, -1]), ValueError),
                                           (torch.tensor([0.0, 1, 2, 3]), TypeError)],
                         ids=["class == n_classes", "-1", "float"])
def test_classifier_labels_are_checked_too(labels, error):
    """CBOW and the layer-wise DeepNet score one class per row: no -100, no float targets
    (which cross_entropy would read as class probabilities)."""
    context = torch.randint(1, 10, (4, 4))
    with pytest.raises(error, match="labels"):
        CBOW(CBOWConfig(vocab_size=10))(context, labels)
    with pytest.raises(error, match="labels"):
        DeepNet(DeepNetConfig(n_classes=10))(torch.rand(4, 64), labels)


def test_cbow_examples_check_the_attention_mask():
    ids = torch.randint(1, 10, (2, 5))
    half = torch.ones(2, 5)
    half[0, 4] = 0.5
    with pytest.raises(ValueError, match="attention_mask must hold only 0 and 1"):
        cbow_examples(ids, window=1, pad_id=0, attention_mask=half)
    with pytest.raises(ValueError, match="attention_mask"):
        cbow_examples(ids, window=1, pad_id=0, attention_mask=torch.ones(1, 5))
