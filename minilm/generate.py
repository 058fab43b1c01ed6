"""Generating text from a causal LM: greedy, temperature, top-k and top-p (nucleus) sampling.

At each step the model gives logits for the next token; a *decoding rule* turns them into
one token, which is appended and fed back. The rules, from most to least conservative:

* greedy: always the most likely token (``temperature=0``);
* temperature: sample from softmax(logits / T); T < 1 sharpens, T > 1 flattens;
* top-k: sample only among the k most likely tokens (Fan et al., 2018);
* top-p: sample among the smallest set whose probability adds up to p (Holtzman et al., 2020).

With ``use_cache=True`` each step feeds only the newest token and reuses the keys and
values of the earlier ones (``minilm.nn.KVCache``); a test checks it yields exactly the
tokens of recomputing the whole sequence every step.

``generate_seq2seq`` does the same for an encoder-decoder (BART, T5, ``Seq2Seq``): the
encoder reads the source once, then the decoder writes the target token by token.
"""

from __future__ import annotations

import torch

from minilm.checks import check_generator, check_positive_int, check_probability, check_tensor
from minilm.device import model_device
from minilm.nn import KVCache


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` largest logits of each row, set the rest to -inf."""
    check_positive_int(k, "top_k")
    k = min(k, logits.shape[-1])
    kth_largest = logits.topk(k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth_largest, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probabilities sum to >= ``p``."""
    check_probability(p, "top_p")
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    # Drop a token when the tokens before it already reach p; the first one always stays.
    drop_sorted = (cumulative - sorted_logits.softmax(dim=-1)) >= p
    drop_sorted[..., 0] = False
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def sample_next(logits: torch.Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Pick one token id per row of ``logits`` [B, V]; ``temperature=0`` means greedy."""
    check_tensor(logits, "logits", ndim=2)
    check_generator(generator)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or temperature < 0:
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}")
    if temperature == 0:
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


@torch.no_grad()
def generate(model, input_ids: torch.Tensor, max_new_tokens: int, *, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None,
             eos_token_id: int | None = None, use_cache: bool = True,
             generator: torch.Generator | None = None) -> torch.Tensor:
    """Extend ``input_ids`` ([T] or [B, T]) by up to ``max_new_tokens`` tokens.

    ``model(input_ids, cache=...)`` must return an object with ``logits`` and have
    ``config.max_len`` and ``new_cache()`` (every minilm decoder does). When the sequence
    outgrows the context window, the oldest tokens are dropped (a sliding window).
    Rows that produced ``eos_token_id`` keep emitting it, so the batch stays rectangular.
    """
    check_tensor(input_ids, "input_ids", ndim=(1, 2), integer=True)
    check_positive_int(max_new_tokens, "max_new_tokens", allow_zero=True)
    squeeze = input_ids.dim() == 1
    ids = input_ids.unsqueeze(0) if squeeze else input_ids
    ids = ids.to(model_device(model) or ids.device)  # a prompt built on the CPU, a model on a GPU
    max_len = model.config.max_len
    was_training = model.training
    model.eval()
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
        next_id = sample_next(logits, temperature=temperature, top_k=top_k, top_p=top_p,
                              generator=generator)
        if eos_token_id is not None:
            next_id = next_id.masked_fill(finished, eos_token_id)
            finished |= next_id == eos_token_id
        ids = torch.cat([ids, next_id.unsqueeze(1)], dim=1)
        if eos_token_id is not None and finished.all():
            break
    model.train(was_training)
    return ids.squeeze(0) if squeeze else ids


# ------------------------------------------------------------ encoder-decoder decoding
@torch.no_grad()
def generate_seq2seq(model, input_ids: torch.Tensor, *, start_id: int, max_new_tokens: int,
                     attention_mask: torch.Tensor | None = None, temperature: float = 0.0,
                     top_k: int | None = None, top_p: float | None = None,
                     eos_token_id: int | None = None, use_cache: bool = True,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Decode a target for each source row: [B, S] -> [B, 1 + n] (starting with ``start_id``).

    The encoder runs once. With ``use_cache`` each step feeds only the newest target token
    and reuses the decoder's cached keys and values (and the encoder's, for
    cross-attention); without it, each step re-runs the decoder on the whole prefix. Both
    give the same tokens. Greedy by default; ``temperature``/``top_k``/``top_p`` sample.
    Rows that emitted ``eos_token_id`` keep emitting it; decoding stops when all have.
    ``model`` is any minilm encoder-decoder: ``encode(ids, mask)`` and
    ``model(ids, decoder_input_ids=, encoder_outputs=, cache=)``.
    """
    check_tensor(input_ids, "input_ids", ndim=2, integer=True)
    check_positive_int(start_id, "start_id", allow_zero=True)
    check_positive_int(max_new_tokens, "max_new_tokens")
    check_generator(generator)
    if max_new_tokens + 1 > model.config.max_len:
        raise ValueError(f"max_new_tokens + 1 ({max_new_tokens + 1}) exceeds the model's max_len "
                         f"({model.config.max_len})")
    was_training = model.training
    model.eval()
    memory = model.encode(input_ids, attention_mask)  # once, whatever the target's length
    out = torch.full((input_ids.shape[0], 1), start_id, dtype=torch.long, device=input_ids.device)
    cache = KVCache(model.config.n_layers) if use_cache else None
    finished = torch.zeros(out.shape[0], dtype=torch.bool, device=out.device)
    for _ in range(max_new_tokens):
        fed = out[:, -1:] if use_cache else out
        logits = model(input_ids, decoder_input_ids=fed, attention_mask=attention_mask,
                       encoder_outputs=memory, cache=cache).logits[:, -1]  # [B, V]
        next_id = sample_next(logits, temperature=temperature, top_k=top_k, top_p=top_p,
                              generator=generator)
        if eos_token_id is not None:
            next_id = next_id.masked_fill(finished, eos_token_id)
            finished |= next_id == eos_token_id
        out = torch.cat([out, next_id[:, None]], dim=1)
        if eos_token_id is not None and bool(finished.all()):
            break
    model.train(was_training)
    return out
