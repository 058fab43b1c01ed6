"""Hugging Face checkpoints in and out of the course's own models.

``from_hf(hf_model)`` pours the weights of a ``transformers`` model into the matching
minilm model; ``to_hf(model)`` goes the other way. Same weights, same numbers: a test
builds each Hugging Face model from a tiny random config, converts it and compares the
logits to 1e-5, so the GPT, BERT and BART of this course are the published architectures,
not look-alikes.

    >>> from transformers import GPT2LMHeadModel          # doctest: +SKIP
    >>> gpt = from_hf(GPT2LMHeadModel.from_pretrained("gpt2"))
    >>> gpt(input_ids).logits                              # the same as GPT-2's

What the mapping has to know (each is one line of a table below):

* GPT-2 stores its linear layers as ``Conv1D``, weight ``[in, out]``: transpose them.
* BERT and BART keep separate query/key/value projections; minilm fuses them into one
  ``[3 d, d]`` matrix (one matmul instead of three): concatenate them, in q, k, v order.
* BART's learned positions have two extra rows in front (fairseq reserved them for the
  padding index): position t is row t + 2.
* Tied matrices (token embeddings = output layer) stay tied: one tensor, listed once.

Every key of the source must be used and every parameter of the target must be filled;
anything left over is an error that lists it, never silently ignored. A config field the
course's models cannot represent (another activation, rotary positions, encoder and
decoder of different depths...) is an error that names the field.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from minilm.device import model_device
from minilm.models import GPT, Bart, BartConfig, Bert, BertConfig, GPTConfig

# Activation names in Hugging Face configs -> minilm's (``TransformerConfig.activation``).
HF_ACTIVATIONS = {"gelu": "gelu", "relu": "relu", "gelu_new": "gelu_tanh",
                  "gelu_pytorch_tanh": "gelu_tanh"}
# minilm's activation -> the name each family's Hugging Face config uses for it.
GPT2_ACTIVATIONS = {"gelu": "gelu", "relu": "relu", "gelu_tanh": "gelu_new"}
ENCODER_ACTIVATIONS = {"gelu": "gelu", "relu": "relu", "gelu_tanh": "gelu_pytorch_tanh"}

SUPPORTED = ("GPT2LMHeadModel", "BertForPreTraining", "BertForMaskedLM",
             "BartForConditionalGeneration")


# ------------------------------------------------------------------ weight tables
@dataclass(frozen=True)
class Entry:
    """One minilm parameter and the Hugging Face tensors it is made of."""

    minilm: str
    hf: tuple[str, ...]
    kind: str = "copy"  # "copy", "transpose" (GPT-2's Conv1D), "concat" (q, k, v), "offset2"


def _linear(minilm: str, hf: str, kind: str = "copy") -> list[Entry]:
    """A linear layer's weight and bias."""
    bias_kind = "copy" if kind == "transpose" else kind
    return [Entry(f"{minilm}.weight", (f"{hf}.weight",), kind),
            Entry(f"{minilm}.bias", (f"{hf}.bias",), bias_kind)]


def _fused(minilm: str, hf: list[str]) -> list[Entry]:
    """Separate projections (q, k, v or k, v) fused into one linear layer."""
    return [Entry(f"{minilm}.{p}", tuple(f"{h}.{p}" for h in hf), "concat") for p in ("weight", "bias")]


def _gpt2_table(n_layers: int) -> list[Entry]:
    t = [Entry("embed.token.weight", ("transformer.wte.weight",)),
         Entry("embed.position.weight", ("transformer.wpe.weight",))]
    for i in range(n_layers):
        m, h = f"transformer.blocks.{i}", f"transformer.h.{i}"
        t += _linear(f"{m}.ln_attn", f"{h}.ln_1")
        t += _linear(f"{m}.attn.qkv_proj", f"{h}.attn.c_attn", "transpose")
        t += _linear(f"{m}.attn.out_proj", f"{h}.attn.c_proj", "transpose")
        t += _linear(f"{m}.ln_mlp", f"{h}.ln_2")
        t += _linear(f"{m}.mlp.up", f"{h}.mlp.c_fc", "transpose")
        t += _linear(f"{m}.mlp.down", f"{h}.mlp.c_proj", "transpose")
    t += _linear("transformer.ln_final", "transformer.ln_f")
    return t  # lm_head.weight is embed.token.weight (tied)


def _bert_table(n_layers: int, *, pretraining: bool) -> list[Entry]:
    e, b = "encoder", "bert"
    t = [Entry(f"{e}.embed.token.weight", (f"{b}.embeddings.word_embeddings.weight",)),
         Entry(f"{e}.embed.position.weight", (f"{b}.embeddings.position_embeddings.weight",)),
         Entry(f"{e}.embed.segment.weight", (f"{b}.embeddings.token_type_embeddings.weight",))]
    t += _linear(f"{e}.embed_norm", f"{b}.embeddings.LayerNorm")
    for i in range(n_layers):
        m, h = f"{e}.transformer.blocks.{i}", f"{b}.encoder.layer.{i}"
        t += _fused(f"{m}.attn.qkv_proj", [f"{h}.attention.self.{x}" for x in ("query", "key", "value")])
        t += _linear(f"{m}.attn.out_proj", f"{h}.attention.output.dense")
        t += _linear(f"{m}.ln_attn", f"{h}.attention.output.LayerNorm")
        t += _linear(f"{m}.mlp.up", f"{h}.intermediate.dense")
        t += _linear(f"{m}.mlp.down", f"{h}.output.dense")
        t += _linear(f"{m}.ln_mlp", f"{h}.output.LayerNorm")
    t += _linear("mlm_transform.0", "cls.predictions.transform.dense")
    t += _linear("mlm_transform.2", "cls.predictions.transform.LayerNorm")
    t += [Entry("mlm_decoder.bias", ("cls.predictions.bias",))]  # the weight is tied to W_e
    if pretraining:  # BertForMaskedLM has neither the pooler nor the NSP head
        t += _linear(f"{e}.pooler", f"{b}.pooler.dense")
        t += _linear("nsp_head", "cls.seq_relationship")
    return t


def _bart_table(n_layers: int, *, logits_bias: bool) -> list[Entry]:
    t = [Entry("embed.token.weight", ("model.shared.weight",)),
         Entry("embed.encoder_position.weight", ("model.encoder.embed_positions.weight",), "offset2"),
         Entry("embed.decoder_position.weight", ("model.decoder.embed_positions.weight",), "offset2")]
    t += _linear("embed.encoder_norm", "model.encoder.layernorm_embedding")
    t += _linear("embed.decoder_norm", "model.decoder.layernorm_embedding")
    for side in ("encoder", "decoder"):
        for i in range(n_layers):
            m, h = f"stack.{side}.blocks.{i}", f"model.{side}.layers.{i}"
            t += _fused(f"{m}.attn.qkv_proj", [f"{h}.self_attn.{x}_proj" for x in "qkv"])
            t += _linear(f"{m}.attn.out_proj", f"{h}.self_attn.out_proj")
            t += _linear(f"{m}.ln_attn", f"{h}.self_attn_layer_norm")
            if side == "decoder":
                t += _linear(f"{m}.cross_attn.q_proj", f"{h}.encoder_attn.q_proj")
                t += _fused(f"{m}.cross_attn.kv_proj", [f"{h}.encoder_attn.{x}_proj" for x in "kv"])
                t += _linear(f"{m}.cross_attn.out_proj", f"{h}.encoder_attn.out_proj")
                t += _linear(f"{m}.ln_cross", f"{h}.encoder_attn_layer_norm")
            t += _linear(f"{m}.mlp.up", f"{h}.fc1")
            t += _linear(f"{m}.mlp.down", f"{h}.fc2")
            t += _linear(f"{m}.ln_mlp", f"{h}.final_layer_norm")
    if logits_bias:
        t += [Entry("lm_head.bias", ("final_logits_bias",), "row")]
    return t


# Hugging Face keys that are other names of a tensor already in the table (tied weights).
TIED_ALIASES = {
    "GPT2LMHeadModel": ("lm_head.weight",),
    "BertForPreTraining": ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias"),
    "BertForMaskedLM": ("cls.predictions.decoder.weight", "cls.predictions.decoder.bias"),
    "BartForConditionalGeneration": ("model.encoder.embed_tokens.weight",
                                     "model.decoder.embed_tokens.weight", "lm_head.weight"),
}
# minilm parameters that are other names of a tensor already in the table.
MINILM_TIED = ("lm_head.weight", "mlm_decoder.weight")


def _to_minilm(kind: str, tensors: list[torch.Tensor]) -> torch.Tensor:
    if kind == "transpose":
        return tensors[0].t()
    if kind == "concat":
        return torch.cat(tensors, dim=0)
    if kind == "offset2":
        return tensors[0][2:]
    if kind == "row":
        return tensors[0].reshape(-1)
    return tensors[0]


def _to_hf(kind: str, tensor: torch.Tensor, n: int) -> list[torch.Tensor]:
    if kind == "transpose":
        return [tensor.t()]
    if kind == "concat":
        return list(tensor.chunk(n, dim=0))
    if kind == "offset2":  # rows 0 and 1 are never looked up: keep them at zero
        return [torch.cat([tensor.new_zeros(2, tensor.shape[1]), tensor])]
    if kind == "row":
        return [tensor.reshape(1, -1)]
    return [tensor]


# ------------------------------------------------------------------ configs
def _field(config, name: str, default=None):
    return getattr(config, name, default)


def _activation(hf_config, field: str) -> str:
    name = _field(hf_config, field)
    if name not in HF_ACTIVATIONS:
        raise ValueError(f"{field}={name!r} has no minilm counterpart; supported: "
                         f"{sorted(HF_ACTIVATIONS)}")
    return HF_ACTIVATIONS[name]


def _require(hf_config, field: str, expected) -> None:
    value = _field(hf_config, field, expected)
    if value != expected:
        raise ValueError(f"{field}={value!r} cannot be represented by a minilm model "
                         f"(it needs {field}={expected!r})")


def _gpt2_config(c) -> GPTConfig:
    for field, expected in (("scale_attn_weights", True), ("scale_attn_by_inverse_layer_idx", False),
                            ("add_cross_attention", False), ("tie_word_embeddings", True)):
        _require(c, field, expected)
    return GPTConfig(vocab_size=c.vocab_size, max_len=c.n_positions, d_model=c.n_embd,
                     n_layers=c.n_layer, n_heads=c.n_head, d_ff=c.n_inner or 4 * c.n_embd,
                     dropout=c.resid_pdrop, norm_first=True,
                     activation=_activation(c, "activation_function"),
                     layer_norm_eps=c.layer_norm_epsilon)


def _bert_config(c) -> BertConfig:
    _require(c, "position_embedding_type", "absolute")
    _require(c, "tie_word_embeddings", True)
    return BertConfig(vocab_size=c.vocab_size, max_len=c.max_position_embeddings,
                      d_model=c.hidden_size, n_layers=c.num_hidden_layers,
                      n_heads=c.num_attention_heads, d_ff=c.intermediate_size,
                      dropout=c.hidden_dropout_prob, activation=_activation(c, "hidden_act"),
                      n_segments=c.type_vocab_size, layer_norm_eps=c.layer_norm_eps)


def _bart_config(c) -> BartConfig:
    for enc, dec in (("encoder_layers", "decoder_layers"),
                     ("encoder_attention_heads", "decoder_attention_heads"),
                     ("encoder_ffn_dim", "decoder_ffn_dim")):
        if _field(c, enc) != _field(c, dec):
            raise ValueError(f"{enc}={_field(c, enc)} and {dec}={_field(c, dec)} differ; a minilm "
                             "encoder-decoder has the same shape on both sides")
    _require(c, "tie_word_embeddings", True)
    for field in ("normalize_before", "add_final_layer_norm"):  # mBART's pre-LN variant
        _require(c, field, False)
    return BartConfig(vocab_size=c.vocab_size, max_len=c.max_position_embeddings, d_model=c.d_model,
                      n_layers=c.encoder_layers, n_heads=c.encoder_attention_heads,
                      d_ff=c.encoder_ffn_dim, dropout=c.dropout,
                      activation=_activation(c, "activation_function"),
                      scale_embedding=bool(c.scale_embedding), final_logits_bias=True)


# ------------------------------------------------------------------ conversion
def _plan(name: str, config) -> list[Entry]:
    if name == "GPT2LMHeadModel":
        return _gpt2_table(config.n_layers)
    if name.startswith("Bert"):
        return _bert_table(config.n_layers, pretraining=name == "BertForPreTraining")
    return _bart_table(config.n_layers, logits_bias=config.final_logits_bias)


BUILDERS: dict[str, tuple[Callable, type[nn.Module]]] = {
    "GPT2LMHeadModel": (_gpt2_config, GPT),
    "BertForPreTraining": (_bert_config, Bert),
    "BertForMaskedLM": (_bert_config, Bert),
    "BartForConditionalGeneration": (_bart_config, Bart),
}


def from_hf(hf_model, *, device=None) -> nn.Module:
    """The minilm model with ``hf_model``'s config and weights: ``GPT`` from
    ``GPT2LMHeadModel``, ``Bert`` from ``BertForPreTraining`` / ``BertForMaskedLM``, ``Bart``
    from ``BartForConditionalGeneration``. Returned in eval mode, float32, on ``device``
    (default: where ``hf_model`` is, so the two can be fed the same tensors).

    ``BertForMaskedLM`` has no pooler and no NSP head: those two layers keep their fresh
    initialisation, and a warning names them.
    """
    name = type(hf_model).__name__
    if name not in BUILDERS:
        raise TypeError(f"hf_model must be one of {', '.join(SUPPORTED)}, got {name}")
    make_config, model_class = BUILDERS[name]
    model = model_class(make_config(hf_model.config))
    source = {k: v.detach().float().cpu() for k, v in hf_model.state_dict().items()}
    target = model.state_dict()
    plan = _plan(name, model.config)

    missing = [k for e in plan for k in e.hf if k not in source]
    if missing:
        raise ValueError(f"hf_model lacks the weights {missing[:8]} (expected for {name})")
    new = {e.minilm: _to_minilm(e.kind, [source[k] for k in e.hf]) for e in plan}
    for key, tensor in new.items():
        if key not in target or target[key].shape != tensor.shape:
            want = tuple(target[key].shape) if key in target else "no such parameter"
            raise ValueError(f"{key}: the converted weight has shape {tuple(tensor.shape)}, "
                             f"the minilm model expects {want}")

    used = {k for e in plan for k in e.hf} | set(TIED_ALIASES[name])
    left_over = sorted(k for k in source if k not in used)
    if left_over:
        raise ValueError(f"weights of hf_model that minilm would ignore: {left_over[:8]}"
                         f"{' ...' if len(left_over) > 8 else ''}")
    unfilled = sorted(k for k in target if k not in new and k not in MINILM_TIED)
    if unfilled:
        if name != "BertForMaskedLM":
            raise ValueError(f"minilm parameters with no weight in hf_model: {unfilled}")
        warnings.warn(f"{name} has no pooler or NSP head; left as initialised: {unfilled}",
                      stacklevel=2)
    model.load_state_dict(new, strict=False)
    return model.to(model_device(hf_model) if device is None else device).eval()


def to_hf(model: nn.Module):
    """The ``transformers`` model with ``model``'s weights: ``GPT`` -> ``GPT2LMHeadModel``,
    ``Bert`` -> ``BertForPreTraining``, ``Bart`` -> ``BartForConditionalGeneration``.
    ``to_hf(from_hf(m))`` computes what ``m`` computes."""
    if not isinstance(model, (GPT, Bert, Bart)):  # checked before the slow import of transformers
        raise TypeError(f"model must be a minilm GPT, Bert or Bart, got {type(model).__name__} "
                        "(it has no Hugging Face counterpart)")
    import transformers

    c = model.config
    if isinstance(model, GPT):
        _check_minilm(c, norm_first=True)
        name = "GPT2LMHeadModel"
        hf_config = transformers.GPT2Config(
            vocab_size=c.vocab_size, n_positions=c.max_len, n_embd=c.d_model, n_layer=c.n_layers,
            n_head=c.n_heads, n_inner=c.d_ff, activation_function=GPT2_ACTIVATIONS[c.activation],
            resid_pdrop=c.dropout, embd_pdrop=c.dropout, attn_pdrop=c.dropout,
            layer_norm_epsilon=c.layer_norm_eps,
            # GPT-2's own <|endoftext|> id (50256) does not exist in a smaller vocabulary
            **({} if c.vocab_size > 50256 else {"bos_token_id": None, "eos_token_id": None}))
    elif isinstance(model, Bert):
        _check_minilm(c, norm_first=False)
        name = "BertForPreTraining"
        hf_config = transformers.BertConfig(
            vocab_size=c.vocab_size, hidden_size=c.d_model, num_hidden_layers=c.n_layers,
            num_attention_heads=c.n_heads, intermediate_size=c.d_ff,
            hidden_act=ENCODER_ACTIVATIONS[c.activation], max_position_embeddings=c.max_len,
            type_vocab_size=c.n_segments, layer_norm_eps=c.layer_norm_eps,
            hidden_dropout_prob=c.dropout, attention_probs_dropout_prob=c.dropout)
    else:  # Bart
        _check_minilm(c, norm_first=False)
        if c.layer_norm_eps != 1e-5:
            raise ValueError(f"layer_norm_eps={c.layer_norm_eps}: Hugging Face's BART fixes it at 1e-5")
        name = "BartForConditionalGeneration"
        hf_config = transformers.BartConfig(
            vocab_size=c.vocab_size, max_position_embeddings=c.max_len, d_model=c.d_model,
            encoder_layers=c.n_layers, decoder_layers=c.n_layers, encoder_attention_heads=c.n_heads,
            decoder_attention_heads=c.n_heads, encoder_ffn_dim=c.d_ff, decoder_ffn_dim=c.d_ff,
            activation_function=ENCODER_ACTIVATIONS[c.activation], dropout=c.dropout,
            attention_dropout=c.dropout, activation_dropout=0.0, scale_embedding=c.scale_embedding)
    hf_model = getattr(transformers, name)(hf_config)
    state = model.state_dict()
    plan = _plan(name, c)
    new = {}
    for entry in plan:
        for key, tensor in zip(entry.hf, _to_hf(entry.kind, state[entry.minilm], len(entry.hf)),
                               strict=True):
            new[key] = tensor.detach().clone()
    expected = hf_model.state_dict()
    if name == "BartForConditionalGeneration" and "final_logits_bias" not in new:
        new["final_logits_bias"] = torch.zeros_like(expected["final_logits_bias"])
    if name == "BertForPreTraining":  # the decoder's bias is cls.predictions.bias under two names
        new["cls.predictions.decoder.bias"] = new["cls.predictions.bias"]
    left = sorted(k for k in expected if k not in new and k not in TIED_ALIASES[name])
    if left:
        raise ValueError(f"Hugging Face parameters the conversion did not fill: {left[:8]}")
    hf_model.load_state_dict(new, strict=False)
    hf_model.tie_weights()
    return hf_model.to(model_device(model)).eval()  # on the device of the model it copies


def _check_minilm(c, *, norm_first: bool) -> None:
    if c.norm_first != norm_first:
        raise ValueError(f"norm_first={c.norm_first}: the Hugging Face model is "
                         f"{'pre' if norm_first else 'post'}-LN")
    if not c.tie_embeddings:
        raise ValueError("tie_embeddings=False: the Hugging Face model ties its output layer")
    if not c.bias:
        raise ValueError("bias=False: the Hugging Face model has biases in every linear layer")
    if c.position != "learned":
        raise ValueError(f"position={c.position!r}: the Hugging Face model uses learned positions")
