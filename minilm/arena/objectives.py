"""The contestants' objectives: one function ``(rows, tokenizer, generator) -> batch`` each.

Every objective reads the same clean stories (``rows``: a list of 1-D LongTensors, one
story each, no special tokens) and turns them into the keyword arguments of its model's
``forward``. Only this function and the choice of model differ between contestants, so
anything that differs in the results comes from them:

==============  ==========  =================================================================
objective       model       which tokens the loss scores (and what each prediction may read)
==============  ==========  =================================================================
``clm``         decoder     every next token, from the tokens to its left (causal mask)
``mlm``         encoder     the 15 % chosen tokens, from both sides (bidirectional)
``prefix_lm``   prefix_lm   the tokens after a random split, from the whole prefix + the left
``bart``        bart        the whole story, rebuilt from its shuffled, span-masked copy
``t5``          t5          only the dropped spans (15 %), after their sentinels
``glm``         glm         only the blanked spans (15 %), each left to right, from Part A
==============  ==========  =================================================================

Add your own with ``register_objective``::

    @register_objective("mlm40", model="encoder", description="MLM with 40 % masking")
    def mlm40(rows, tokenizer, generator):
        return mlm_batch(rows, tokenizer, generator, mlm_probability=0.4)

The model names (``MODELS``) decide the architecture and how the shared metrics read it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn.utils.rnn import pad_sequence

from minilm.constants import IGNORE_INDEX
from minilm.masks import prefix_lm_mask
from minilm.objectives.blank_infilling import blank_infilling, glm_collate
from minilm.objectives.clm import clm_labels
from minilm.objectives.denoising import bart_noise
from minilm.objectives.mlm import mask_tokens
from minilm.objectives.seq2seq import seq2seq_batch
from minilm.objectives.span_corruption import span_corruption

# model name -> what it is (the keys are what ``register_objective(model=...)`` accepts).
MODELS = {
    "decoder": "GPT: causal decoder-only Transformer",
    "encoder": "EncoderLM: bidirectional encoder with a tied LM head",
    "prefix_lm": "EncoderLM under prefix_lm_mask: bidirectional prefix, causal rest",
    "bart": "Bart: encoder-decoder, blanks written as [MASK]",
    "t5": "Seq2Seq: encoder-decoder, blanks written as sentinels <extra_id_k>",
    "glm": "GLM: one Transformer under the Part A / Part B mask, 2D positions",
}

BatchFunction = Callable[[list[torch.Tensor], object, torch.Generator], dict]


@dataclass(frozen=True)
class Objective:
    """A registered contestant: its name, batch function, model and one line about it."""

    name: str
    make_batch: BatchFunction
    model: str
    description: str = ""


OBJECTIVES: dict[str, Objective] = {}


def register_objective(name: str, *, model: str, description: str = "",
                       registry: dict[str, Objective] | None = None, replace: bool = False):
    """Decorator: enter ``fn(rows, tokenizer, generator) -> batch`` in the arena as ``name``.

    ``rows`` is a list of clean stories (1-D LongTensors without special tokens),
    ``tokenizer`` the course ``WordTokenizer``, ``generator`` the torch.Generator to draw
    the noise from. The batch is the dict of keyword arguments of ``model``'s forward,
    with ``labels`` (-100 = not scored). ``model`` is one of ``MODELS``. Registering a name
    twice is an error unless ``replace=True``.
    """
    registry = OBJECTIVES if registry is None else registry
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a short identifier such as 'mlm40', got {name!r}")
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")
    if name in registry and not replace:
        raise ValueError(f"an objective named {name!r} is already registered; pick another name "
                         "or pass replace=True")

    def decorate(fn: BatchFunction) -> BatchFunction:
        if not callable(fn):
            raise TypeError(f"objective {name!r} must be a function (rows, tokenizer, generator) -> "
                            f"batch, got {type(fn).__name__}")
        try:
            inspect.signature(fn).bind(None, None, None)
        except TypeError:
            raise TypeError(f"objective {name!r} must accept three arguments (rows, tokenizer, "
                            f"generator), got the signature {inspect.signature(fn)}") from None
        except ValueError:  # a builtin without a signature: trust it
            pass
        registry[name] = Objective(name, fn, model, description or (fn.__doc__ or "").strip().split("\n")[0])
        return fn

    return decorate


def get_objective(name: str, registry: dict[str, Objective] | None = None) -> Objective:
    """The registered objective ``name``; a clear error listing the known ones otherwise."""
    registry = OBJECTIVES if registry is None else registry
    if name not in registry:
        raise ValueError(f"unknown objective {name!r}; registered: {', '.join(registry)} "
                         "(add one with minilm.arena.register_objective)")
    return registry[name]


# --------------------------------------------------------------- building blocks
def framed(rows: list[torch.Tensor], tokenizer) -> list[torch.Tensor]:
    """Each story as ``<s> story <e>``: the text every decoder-only and encoder model reads."""
    bos = torch.tensor([tokenizer.bos_token_id])
    eos = torch.tensor([tokenizer.eos_token_id])
    return [torch.cat([bos, r, eos]) for r in rows]


def pad_rows(rows: list[torch.Tensor], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad 1-D rows: ``input_ids`` [B, T] and the padding ``attention_mask`` [B, T]."""
    input_ids = pad_sequence(rows, batch_first=True, padding_value=pad_id)
    attention_mask = pad_sequence([torch.ones_like(r) for r in rows], batch_first=True)
    return input_ids, attention_mask


# -------------------------------------------------------------- the six objectives
@register_objective("clm", model="decoder", description="causal LM: next token at every position")
def clm_batch(rows, tokenizer, generator):
    """GPT's objective: labels = the inputs shifted left by one (``clm_labels``)."""
    input_ids, attention_mask = pad_rows(framed(rows, tokenizer), tokenizer.pad_token_id)
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "labels": clm_labels(input_ids, attention_mask)}


def mlm_batch(rows, tokenizer, generator, *, mlm_probability: float = 0.15):
    """BERT's MLM without NSP: ``mlm_probability`` of the tokens chosen, 80/10/10."""
    input_ids, attention_mask = pad_rows(framed(rows, tokenizer), tokenizer.pad_token_id)
    inputs, labels = mask_tokens(input_ids, mask_id=tokenizer.mask_token_id,
                                 vocab_size=tokenizer.vocab_size, mlm_probability=mlm_probability,
                                 special_ids=tokenizer.special_token_ids, attention_mask=attention_mask,
                                 generator=generator)
    return {"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}


register_objective("mlm", model="encoder", description="masked LM, 15 % of tokens, 80/10/10")(mlm_batch)


@register_objective("prefix_lm", model="prefix_lm",
                    description="prefix LM: causal LM after a random split, bidirectional before it")
def prefix_lm_batch(rows, tokenizer, generator):
    """UniLM / T5's prefix LM on one encoder: split each row at a random point p; the
    prefix sees itself both ways, the rest is predicted left to right.

    A position inside the prefix can see its right neighbour, so only predictions made at
    positions >= p - 1 (of tokens p, p + 1, ...) are scored.
    """
    framed_rows = framed(rows, tokenizer)
    input_ids, attention_mask = pad_rows(framed_rows, tokenizer.pad_token_id)
    lengths = attention_mask.sum(1)
    # p in [1, length - 1]: at least <s> in the prefix and one token to predict after it.
    prefix = 1 + (torch.rand(len(rows), generator=generator) * (lengths - 1)).long()
    labels = clm_labels(input_ids, attention_mask)
    positions = torch.arange(input_ids.shape[1])
    labels = labels.masked_fill(positions[None, :] < (prefix - 1)[:, None], IGNORE_INDEX)
    # The full [B, T, T] matrix goes through attention_matrix; attention_mask hides the padding.
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "attention_matrix": prefix_lm_mask(input_ids.shape[1], prefix), "labels": labels}


@register_objective("bart", model="bart",
                    description="BART: sentence permutation + text infilling (30 %, Poisson(3) spans)")
def bart_batch(rows, tokenizer, generator):
    """BART's final noise (Sec. 5.1): the encoder reads the shuffled, span-masked story,
    the decoder rebuilds all of it."""
    full_stop = tokenizer.token_to_id(".")
    noised = [bart_noise(r, mask_id=tokenizer.mask_token_id, full_stop_id=full_stop, generator=generator)
              for r in rows]
    return seq2seq_batch(noised, list(rows), pad_id=tokenizer.pad_token_id,
                         start_id=tokenizer.bos_token_id, eos_id=tokenizer.eos_token_id)


@register_objective("t5", model="t5", description="T5: span corruption (15 %, mean span 3) with sentinels")
def t5_batch(rows, tokenizer, generator):
    """T5's objective: each noise span becomes one sentinel; the target lists the spans."""
    sentinels = [tokenizer.token_to_id(f"<extra_id_{k}>") for k in range(tokenizer.n_sentinels)]
    pairs = [span_corruption(r, sentinel_ids=sentinels, eos_id=tokenizer.eos_token_id, generator=generator)
             for r in rows]
    return seq2seq_batch([s for s, _ in pairs], [t for _, t in pairs], pad_id=tokenizer.pad_token_id,
                         start_id=tokenizer.bos_token_id)


@register_objective("glm", model="glm", description="GLM: blank infilling (15 %, Poisson(3) spans, shuffled)")
def glm_batch(rows, tokenizer, generator):
    """GLM's objective: Part A = the story with each span replaced by one [MASK], Part B =
    the spans in random order, each [S] ... predicted left to right up to [E]."""
    samples = [blank_infilling(r, mask_id=tokenizer.mask_token_id, start_id=tokenizer.span_start_token_id,
                               end_id=tokenizer.span_end_token_id,
                               special_ids=(tokenizer.bos_token_id, tokenizer.eos_token_id),
                               generator=generator)
               for r in framed(rows, tokenizer)]
    batch = glm_collate(samples, tokenizer.pad_token_id)
    return {"input_ids": batch["input_ids"], "position_ids": batch["position_ids"], "sep": batch["sep"],
            "attention_mask": batch["attention_mask"], "labels": batch["labels"]}


BUILTIN = ("clm", "mlm", "prefix_lm", "bart", "t5", "glm")
