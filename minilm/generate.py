"""Generating text: greedy decoding and sampling, for every kind of minilm model.

At each step the model gives logits for the next token; a *decoding rule* turns them into
one token, which is appended and fed back. The rules, from most to least conservative:

* greedy: always the most likely token (the default, ``do_sample=False``);
* temperature: sample from softmax(logits / T); T < 1 sharpens, T > 1 flattens
  (``do_sample=True, temperature=T``);
* top-k: sample only among the k most likely tokens (Fan et al., 2018);
* top-p: sample among the smallest set whose probability adds up to p (Holtzman et al., 2020).

The arguments are Hugging Face's (``generate(..., do_sample=, temperature=, top_k=, top_p=,
eos_token_id=)``) with the same default, greedy. A sampling knob given without
``do_sample=True`` is an error rather than silently ignored.

One loop per kind of model, each calling only ``model(...)``:

* ``generate``: a decoder-only LM (GPT) continues a prompt;
* ``generate_seq2seq``: an encoder-decoder (BART, T5, ``Seq2Seq``) encodes the source
  once, then its decoder writes the target token by token;
* ``generate_blanks`` / ``fill_blanks``: a GLM writes the span of every [MASK] blank
  (Du et al., 2022, Sec. 2.3), exactly as in pretraining.

With ``use_cache=True`` (the default) each step feeds only the newest token and reuses the
keys and values of the earlier ones (``model.new_cache()``, a ``minilm.nn.KVCache``
passed as ``cache=``); tests check that every loop then writes exactly the tokens of
recomputing the whole sequence at each step. Hugging Face calls the cache
``past_key_values`` and passes it back and forth; minilm's is one object that the model
fills in place, so ``cache`` names it and nothing has to be returned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from minilm.checks import check_generator, check_positive_int, check_tensor
from minilm.device import model_device
from minilm.modes import evaluating
from minilm.objectives.blank_infilling import part_b_inputs


# ------------------------------------------------------------------ decoding rules
def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits of each row, set the rest to -inf."""
    check_positive_int(k, "top_k")
    k = min(k, logits.shape[-1])
    kth_largest = logits.topk(k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probabilities sum to >= ``p``."""
    _check_top_p(p)
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    # Drop a token when the tokens before it already reach p; the first one always stays.
    drop_sorted = (cumulative - sorted_logits.softmax(dim=-1)) >= p
    drop_sorted[..., 0] = False
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def _check_top_p(p) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"top_p must be a number in (0, 1], got {type(p).__name__}")
    if not 0.0 < p <= 1.0:
        raise ValueError(f"top_p must lie in (0, 1] (1 keeps every token), got {p}")


def check_decoding(*, do_sample: bool, temperature: float, top_k: int | None, top_p: float | None,
                   generator: torch.Generator | None) -> None:
    """The decoding arguments every generation function shares; a clear error for bad ones."""
    if not isinstance(do_sample, bool):
        raise TypeError(f"do_sample must be True (sample) or False (greedy), got {do_sample!r}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature must be a number > 0, got {type(temperature).__name__}")
    if top_k is not None:
        check_positive_int(top_k, "top_k")
    if top_p is not None:
        _check_top_p(top_p)
    check_generator(generator)
    if do_sample:
        if not 0 < temperature < math.inf:
            raise ValueError(f"temperature must be a finite number > 0 when sampling, got {temperature} "
                             "(for greedy decoding pass do_sample=False)")
        return
    knobs = {"temperature": temperature, "top_k": top_k, "top_p": top_p}
    given = [f"{name}={value}" for name, value in knobs.items()
             if value is not None and not (name == "temperature" and value == 1.0)]
    if given:
        raise ValueError(f"{', '.join(given)} only applies when sampling: pass do_sample=True "
                         "(do_sample=False is greedy decoding, which always takes the most likely token)")


def sample_next(logits: torch.Tensor, *, do_sample: bool = False, temperature: float = 1.0,
                top_k: int | None = None, top_p: float | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Pick one token id per row of ``logits`` [B, V]: the argmax (greedy, the default), or
    with ``do_sample=True`` a draw from softmax(logits / temperature), cut by ``top_k``/``top_p``."""
    check_tensor(logits, "logits", ndim=2)
    check_decoding(do_sample=do_sample, temperature=temperature, top_k=top_k, top_p=top_p,
                   generator=generator)
    if bool(logits.isnan().any()):  # argmax would pick a NaN silently, sampling fails deep in torch
        raise ValueError("logits hold NaN: the model's output is broken (a diverged training run?)")
    if not do_sample:
        return logits.argmax(dim=-1)
    logits = logits.float() / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = logits.softmax(dim=-1)
    if generator is not None:  # a generator draws on its own device (the CPU one by default)
        probs = probs.to(generator.device)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1).to(logits.device)


def _check_token_id(value, name: str, model) -> int:
    """A special token id (eos, start, mask) must be an id of the model's vocabulary."""
    check_positive_int(value, name, allow_zero=True)
    vocab_size = getattr(model.config, "vocab_size", None)
    if vocab_size is not None and value >= vocab_size:
        raise ValueError(f"{name} must be a token id in [0, {vocab_size}) (the model's vocab_size), "
                         f"got {value}")
    return value


def _check_loop(model, *, use_cache: bool, decoding: dict, **token_ids: int | None) -> int:
    """What every decoding loop checks before it runs the model: the decoding rule, that
    ``model`` has a context window (and ``new_cache()`` for ``use_cache``), and that the
    special ``token_ids`` given are in its vocabulary. Returns ``model.config.max_len``."""
    check_decoding(**decoding)
    if not hasattr(model, "config") or not hasattr(model.config, "max_len"):
        raise TypeError(f"model must be a minilm model (with a .config.max_len), got {type(model).__name__}")
    if not isinstance(use_cache, bool):
        raise TypeError(f"use_cache must be True or False, got {use_cache!r}")
    if use_cache and not hasattr(model, "new_cache"):
        raise TypeError(f"use_cache=True needs a model with new_cache() (every minilm model that "
                        f"generates has one); {type(model).__name__} lacks it: pass use_cache=False")
    for name, value in token_ids.items():
        if value is not None:
            _check_token_id(value, name, model)
    return model.config.max_len


def _stop_finished_rows(next_id: torch.Tensor, finished: torch.Tensor, eos_token_id: int | None):
    """Rows that already produced ``eos_token_id`` keep emitting it (the batch stays rectangular)."""
    if eos_token_id is not None:
        next_id = next_id.masked_fill(finished, eos_token_id)
        finished |= next_id == eos_token_id
    return next_id


# ----------------------------------------------------------- decoder-only (GPT)
@torch.no_grad()
def generate(model, input_ids: torch.Tensor, max_new_tokens: int, *, do_sample: bool = False,
             temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
             eos_token_id: int | None = None, use_cache: bool = True,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Extend ``input_ids`` ([T] or [B, T]) by up to ``max_new_tokens`` tokens.

    Greedy by default; ``do_sample=True`` samples (``temperature``, ``top_k``, ``top_p``,
    drawn from ``generator``). ``model(input_ids, cache=...)`` must return an object with
    ``logits`` and have ``config.max_len`` and ``new_cache()`` (GPT has). The prompt must
    fit the context window; when the sequence outgrows it, the oldest tokens are dropped
    (a sliding window). Rows that produced ``eos_token_id`` keep emitting it, so the batch
    stays rectangular; generation stops when every row has.
    """
    check_tensor(input_ids, "input_ids", ndim=(1, 2), integer=True)
    check_positive_int(max_new_tokens, "max_new_tokens")
    decoding = {"do_sample": do_sample, "temperature": temperature, "top_k": top_k, "top_p": top_p,
                "generator": generator}
    max_len = _check_loop(model, use_cache=use_cache, decoding=decoding, eos_token_id=eos_token_id)
    if input_ids.shape[-1] > max_len:
        raise ValueError(f"input_ids has {input_ids.shape[-1]} tokens but the model's context window "
                         f"(max_len) is {max_len}: keep the last {max_len} tokens of the prompt")
    squeeze = input_ids.dim() == 1
    ids = input_ids.unsqueeze(0) if squeeze else input_ids
    ids = ids.to(model_device(model) or ids.device)  # a prompt built on the CPU, a model on a GPU
    with evaluating(model):
        cache, fed = None, 0  # `fed` = how many tokens of `ids` the cache has seen
        finished = torch.zeros(ids.shape[0], dtype=torch.bool, device=ids.device)
        for _ in range(max_new_tokens):
            if use_cache and ids.shape[1] <= max_len:
                if cache is None:
                    cache, fed = model.new_cache(), 0
                logits = model(ids[:, fed:], cache=cache).logits[:, -1]
                fed = ids.shape[1]
            else:  # no cache, or past the window: recompute over the last max_len tokens
                cache = None
                logits = model(ids[:, -max_len:]).logits[:, -1]
            next_id = sample_next(logits, **decoding)
            next_id = _stop_finished_rows(next_id, finished, eos_token_id)
            ids = torch.cat([ids, next_id.unsqueeze(1)], dim=1)
            if eos_token_id is not None and bool(finished.all()):
                break
    return ids.squeeze(0) if squeeze else ids


# ------------------------------------------------------------ encoder-decoder decoding
@torch.no_grad()
def generate_seq2seq(model, input_ids: torch.Tensor, *, start_id: int, max_new_tokens: int,
                     attention_mask: torch.Tensor | None = None, do_sample: bool = False,
                     temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None,
                     eos_token_id: int | None = None, use_cache: bool = True,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Decode a target for each source row: [B, S] -> [B, 1 + n] (starting with ``start_id``).

    The encoder runs once. With ``use_cache`` each step feeds only the newest target token
    and reuses the decoder's cached keys and values (and the encoder's, for
    cross-attention); without it, each step re-runs the decoder on the whole prefix. Both
    give the same tokens. Greedy by default; ``do_sample=True`` samples as in ``generate``.
    Rows that emitted ``eos_token_id`` keep emitting it; decoding stops when all have.
    ``model`` is any minilm encoder-decoder: ``encode(ids, mask)``, ``new_cache()`` and
    ``model(ids, decoder_input_ids=, encoder_outputs=, cache=)``.
    """
    check_tensor(input_ids, "input_ids", ndim=2, integer=True)
    check_positive_int(max_new_tokens, "max_new_tokens")
    if start_id is None:
        raise TypeError("start_id must be an int (the decoder's first input, e.g. <s>), got None")
    decoding = {"do_sample": do_sample, "temperature": temperature, "top_k": top_k, "top_p": top_p,
                "generator": generator}
    max_len = _check_loop(model, use_cache=use_cache, decoding=decoding, start_id=start_id,
                          eos_token_id=eos_token_id)
    if input_ids.shape[1] > max_len:
        raise ValueError(f"input_ids has {input_ids.shape[1]} tokens but the model's context window "
                         f"(max_len) is {max_len}: truncate the source")
    if max_new_tokens + 1 > max_len:
        raise ValueError(f"max_new_tokens + 1 ({max_new_tokens + 1}) exceeds the model's max_len ({max_len})")
    with evaluating(model):
        memory = model.encode(input_ids, attention_mask)  # once, whatever the target's length
        out = torch.full((input_ids.shape[0], 1), start_id, dtype=torch.long, device=input_ids.device)
        cache = model.new_cache() if use_cache else None
        finished = torch.zeros(out.shape[0], dtype=torch.bool, device=out.device)
        for _ in range(max_new_tokens):
            fed = out[:, -1:] if use_cache else out
            logits = model(input_ids, decoder_input_ids=fed, attention_mask=attention_mask,
                           encoder_outputs=memory, cache=cache).logits[:, -1]  # [B, V]
            next_id = sample_next(logits, **decoding)
            next_id = _stop_finished_rows(next_id, finished, eos_token_id)
            out = torch.cat([out, next_id[:, None]], dim=1)
            if eos_token_id is not None and bool(finished.all()):
                break
    return out


# ----------------------------------------------------------- blank infilling (GLM)
@dataclass
class Infilling:
    """What ``generate_blanks`` / ``fill_blanks`` return."""

    spans: list[list[int]]      # the ids written into each blank, in order, without [E]
    finished: list[bool]        # True where the span ended with [E], False if it was cut
    filled_ids: torch.Tensor    # [n'] Part A with every [MASK] replaced by its span
    input_ids: torch.Tensor     # [T] Part A + Part B as the model last read them
    position_ids: torch.Tensor  # [2, T] their 2D positions
    sep: int                    # len(Part A)
    text: str | None = None             # the filled text (fill_blanks only)
    span_texts: list[str] | None = None  # each blank's text (fill_blanks only)


@torch.no_grad()
def generate_blanks(model, ids: torch.Tensor, *, mask_id: int, start_id: int, eos_token_id: int,
                    max_span_len: int = 8, do_sample: bool = False, temperature: float = 1.0,
                    top_k: int | None = None, top_p: float | None = None, use_cache: bool = True,
                    generator: torch.Generator | None = None) -> Infilling:
    """Fill every ``mask_id`` blank of ``ids`` [n] (Part A), left to right (GLM, Sec. 2.3).

    Each span is written as in pretraining (Eq. 1 with the order z = the blanks' order,
    Eq. 2 inside each span)::

        p(s_i | x_corrupt, s_<i) = prod_j p(s_{i,j} | x_corrupt, s_<i, s_{i,<j})

    For blank i the model reads ``start_id`` ([S]) placed at that blank's position 1 with
    position 2 = 1, predicts the first token, reads it back at position 2 = 2, ... until it
    predicts ``eos_token_id`` ([E], which ends a span; ``glm_sample`` calls it ``end_id``),
    or after ``max_span_len`` tokens, or earlier when the context window
    (``model.config.max_len``) has no room left for it and the later blanks. The next
    blank's [S] is appended after the finished span, so later blanks see the earlier ones
    (Part B is causal) and the text around every blank (Part A is bidirectional). [E] is
    only ever a target, never an input, as in training.

    Greedy by default; ``do_sample=True`` samples as in ``generate``. Part A never attends
    to Part B (``minilm.masks.glm_mask``), so with ``use_cache`` its keys and values are
    computed once and each step feeds only the new token.
    ``model(input_ids [1, T], position_ids [1, 2, T], sep, cache=)`` must return ``.logits``.
    """
    check_tensor(ids, "ids", ndim=1, integer=True)
    check_positive_int(max_span_len, "max_span_len")
    for name, value in (("mask_id", mask_id), ("start_id", start_id), ("eos_token_id", eos_token_id)):
        if value is None:
            raise TypeError(f"{name} must be an int (a token id of the model's vocabulary), got None")
    decoding = {"do_sample": do_sample, "temperature": temperature, "top_k": top_k, "top_p": top_p,
                "generator": generator}
    max_len = _check_loop(model, use_cache=use_cache, decoding=decoding, mask_id=mask_id,
                          start_id=start_id, eos_token_id=eos_token_id)
    if max_span_len + 1 >= max_len:
        raise ValueError(f"max_span_len must be < max_len - 1 = {max_len - 1} (position 2 of the "
                         f"span's last token is max_span_len + 1), got {max_span_len}")
    part_a = ids.tolist()
    n = len(part_a)
    blanks = [i for i, t in enumerate(part_a) if t == mask_id]
    if not blanks:
        raise ValueError("ids has no mask_id token: put a [MASK] where the model should write "
                         "(at the end to continue the text)")
    if n + len(blanks) > max_len:
        raise ValueError(f"ids has {n} tokens and {len(blanks)} blank(s): Part A plus one [S] per "
                         f"blank must fit the context window max_len = {max_len}")

    device = ids.device
    spans: list[list[int]] = []
    finished: list[bool] = []
    cache = model.new_cache() if use_cache else None
    fed = 0  # how many tokens of the context the cache has seen

    def context() -> tuple[list[int], list[int], list[int]]:
        """Part A, then [S] + the tokens written so far for each blank begun."""
        inputs, pos1, pos2 = part_b_inputs(blanks[:len(spans)], spans, start_id)
        return part_a + inputs, list(range(n)) + pos1, [0] * n + pos2

    def next_token() -> int:
        nonlocal fed
        inputs, pos1, pos2 = context()
        x = torch.tensor([inputs[fed:]], device=device)                            # [1, T']
        positions = torch.tensor([pos1[fed:], pos2[fed:]], device=device).unsqueeze(0)  # [1, 2, T']
        if use_cache:
            logits, fed = model(x, positions, n, cache=cache).logits, len(inputs)
        else:
            logits = model(x, positions, n).logits
        return int(sample_next(logits[:, -1], **decoding))

    with evaluating(model):
        for b in range(len(blanks)):
            later = len(blanks) - b - 1  # blanks still to come: each needs room for its [S]
            span: list[int] = []
            spans.append(span)
            done = False
            while len(span) < max_span_len:
                token = next_token()
                if token == eos_token_id:
                    done = True
                    break
                if len(context()[0]) + 1 + later > max_len:
                    break  # no room to read this token back: the span is cut here
                span.append(token)
            finished.append(done)

    inputs, pos1, pos2 = context()
    filled, previous = [], 0
    for position, span in zip(blanks, spans, strict=True):
        filled += part_a[previous:position] + span
        previous = position + 1
    filled += part_a[previous:]
    return Infilling(spans=spans, finished=finished,
                     filled_ids=torch.tensor(filled, dtype=torch.long, device=device),
                     input_ids=torch.tensor(inputs, dtype=torch.long, device=device),
                     position_ids=torch.tensor([pos1, pos2], dtype=torch.long, device=device),
                     sep=n)


def fill_blanks(model, tokenizer, text_with_masks: str, *, max_span_len: int = 8,
                do_sample: bool = False, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, use_cache: bool = True,
                generator: torch.Generator | None = None) -> Infilling:
    """``generate_blanks`` on text: every "[MASK]" in ``text_with_masks`` is filled.

    With a [MASK] at the end of the text this is plain continuation; with a blank in the
    middle it uses both sides. (The paper's "unconditional" generation is this, done by the
    pretrained model without fine-tuning; "conditional" generation fine-tunes on a task first.)

    >>> out = fill_blanks(model, tokenizer, "ben lives in [MASK] .")   # doctest: +SKIP
    >>> out.text, out.span_texts   # ('ben lives in paris.', ['paris']): Ben's town in WORLD
    """
    if not isinstance(text_with_masks, str):
        raise TypeError(f"text_with_masks must be a str with [MASK] blanks, got "
                        f"{type(text_with_masks).__name__}")
    ids = torch.tensor(tokenizer.encode(text_with_masks), dtype=torch.long)
    if len(ids) == 0 or tokenizer.mask_token_id not in ids.tolist():
        raise ValueError(f"text_with_masks has no [MASK] blank: {text_with_masks!r}")
    weight = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
    device = weight.device if weight is not None else ids.device
    out = generate_blanks(model, ids.to(device), mask_id=tokenizer.mask_token_id,
                          start_id=tokenizer.span_start_token_id,
                          eos_token_id=tokenizer.span_end_token_id, max_span_len=max_span_len,
                          do_sample=do_sample, temperature=temperature, top_k=top_k, top_p=top_p,
                          use_cache=use_cache, generator=generator)
    out.text = tokenizer.decode(out.filled_ids)
    out.span_texts = [tokenizer.decode(span) for span in out.spans]
    return out
