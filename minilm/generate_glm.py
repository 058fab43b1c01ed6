"""Filling blanks with a GLM: generate Part B, span by span (Du et al., 2022, Sec. 2.3).

A pretrained GLM is a text *infiller*. Give it Part A, a text with one or more [MASK]
blanks, and it writes each blank's span left to right, exactly as in pretraining (Eq. 1
with the order z = the blanks' order, Eq. 2 inside each span)::

    p(s_i | x_corrupt, s_<i) = prod_j p(s_{i,j} | x_corrupt, s_<i, s_{i,<j})

For blank i the model reads ``[S]`` placed at that blank's position 1 with position 2 = 1,
predicts the first token, reads it back at position 2 = 2, ... until it predicts ``[E]``
(or ``max_span_len`` tokens). The next blank's ``[S]`` is appended after the finished
span, so later blanks see the earlier ones (Part B is causal) and the text around every
blank (Part A is bidirectional). ``[E]`` is only ever a target, never an input, as in
training. With a [MASK] at the end of the text this is plain continuation (the paper's
"unconditional" generation); with a blank in the middle it uses both sides.

Part A never attends to Part B (``minilm.masks.glm_mask``), so its keys and values do not
change while Part B grows: ``use_cache=True`` computes them once and feeds only the new
token at each step. A test checks it writes exactly what recomputing everything writes.

    out = fill_blanks(model, tokenizer, "ben lives in [MASK] .")
    out.text          # 'ben lives in paris.' (Ben's town in minilm.data.WORLD)
    out.span_texts    # ['paris']
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from minilm.checks import check_generator, check_positive_int, check_tensor
from minilm.generate import sample_next
from minilm.masks import glm_mask
from minilm.nn import KVCache


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


def _check_glm_like(model, use_cache: bool):
    if not hasattr(model, "config") or not hasattr(model.config, "max_len"):
        raise TypeError(f"model must be a minilm GLM (with a .config), got {type(model).__name__}")
    if use_cache and not all(hasattr(model, a) for a in ("embed", "transformer", "lm_head")):
        raise TypeError(f"use_cache=True needs a minilm GLM (embed, transformer, lm_head); "
                        f"{type(model).__name__} lacks them: pass use_cache=False")


@torch.no_grad()
def generate_blanks(model, ids: torch.Tensor, *, mask_id: int, start_id: int, end_id: int,
                    max_span_len: int = 8, temperature: float = 0.0, top_k: int | None = None,
                    top_p: float | None = None, use_cache: bool = True,
                    generator: torch.Generator | None = None) -> Infilling:
    """Fill every ``mask_id`` blank of ``ids`` [n] (Part A), left to right.

    ``temperature=0`` is greedy (deterministic); otherwise each token is drawn with
    ``minilm.generate.sample_next`` (temperature, ``top_k``, ``top_p``) from ``generator``.
    A span stops at ``end_id`` ([E]) or after ``max_span_len`` tokens, or earlier when the
    context window (``model.config.max_len``) has no room left for it and the later blanks.

    ``model(input_ids [1, T], position_ids [1, 2, T], sep)`` must return ``.logits``
    [1, T, V]; with ``use_cache=True`` it must be a ``minilm.models.GLM``.
    """
    check_tensor(ids, "ids", ndim=1, integer=True)
    for name, value in (("mask_id", mask_id), ("start_id", start_id), ("end_id", end_id)):
        check_positive_int(value, name, allow_zero=True)
    check_positive_int(max_span_len, "max_span_len")
    check_generator(generator)
    _check_glm_like(model, use_cache)
    max_len = model.config.max_len
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
    inputs, pos1, pos2 = list(part_a), list(range(n)), [0] * n  # Part A: positions (i, 0)
    cache, fed = None, 0  # `fed` = how many of `inputs` the cache has seen
    was_training = model.training
    model.eval()

    def next_logits() -> torch.Tensor:  # [1, V] at the last input
        nonlocal cache, fed
        x = torch.tensor([inputs], device=device)                           # [1, T]
        positions = torch.tensor([pos1, pos2], device=device).unsqueeze(0)  # [1, 2, T]
        if not use_cache:
            return model(x, positions, n).logits[:, -1]
        if cache is None:
            cache = KVCache(model.config.n_layers)
        T = len(inputs)
        # The new rows of the full GLM mask: the first call holds Part A (bidirectional)
        # and [S]; later calls hold Part B tokens, which see everything before them.
        mask = glm_mask(T, n, device=device)[fed:]
        h = model.embed(x[:, fed:], position_ids=positions[:, :, fed:], past_length=fed)
        hidden = model.transformer(h, mask=mask, cache=cache).hidden_states
        fed = T
        return model.lm_head(hidden[:, -1])

    spans, finished = [], []
    try:
        for b, position in enumerate(blanks):
            later = len(blanks) - b - 1  # blanks still to come: each needs room for its [S]
            inputs.append(start_id)
            pos1.append(position)
            pos2.append(1)
            span, done = [], False
            while len(span) < max_span_len:
                token = int(sample_next(next_logits(), temperature=temperature, top_k=top_k,
                                        top_p=top_p, generator=generator))
                if token == end_id:
                    done = True
                    break
                if len(inputs) + 1 + later > max_len:
                    break  # no room to read this token back: the span is cut here
                span.append(token)
                inputs.append(token)   # fed back at the blank's position 1 ...
                pos1.append(position)
                pos2.append(len(span) + 1)  # ... and its place inside the span
            spans.append(span)
            finished.append(done)
    finally:
        model.train(was_training)

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
                temperature: float = 0.0, top_k: int | None = None, top_p: float | None = None,
                use_cache: bool = True, generator: torch.Generator | None = None) -> Infilling:
    """``generate_blanks`` on text: every "[MASK]" in ``text_with_masks`` is filled.

    >>> out = fill_blanks(model, tokenizer, "[MASK] lives in paris . she likes [MASK] .")
    >>> out.text, out.span_texts
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
                          start_id=tokenizer.span_start_token_id, end_id=tokenizer.span_end_token_id,
                          max_span_len=max_span_len, temperature=temperature, top_k=top_k,
                          top_p=top_p, use_cache=use_cache, generator=generator)
    out.text = tokenizer.decode(out.filled_ids)
    out.span_texts = [tokenizer.decode(span) for span in out.spans]
    return out
