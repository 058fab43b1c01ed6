"""Attention: the explicit path (which can return the weights) against the fused SDPA path.

Both paths are the ones ``minilm.nn.Attention`` runs: ``explicit_attention`` (scores,
mask, softmax, weights @ V written out, used when ``output_attentions=True`` or
``use_sdpa=False``) and ``torch.nn.functional.scaled_dot_product_attention``. They get
Q, K, V in the layout the fused QKV projection produces (strided views, heads split by
``rearrange``), and are timed forward + backward, interleaved, for two masks:

* causal: SDPA gets ``is_causal=True`` (no mask tensor at all), the explicit path the
  bool ``causal_mask(T)``, exactly as a GPT runs them;
* bool [B, T, T]: a per-sequence mask (padding, GLM's Part A/B), passed to both as a bool
  tensor broadcast over the heads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange

from benchmarks.common import Table, fmt, measure, median, set_threads, threads_label
from minilm.masks import causal_mask, glm_mask
from minilm.nn import explicit_attention


def _inputs(batch: int, heads: int, T: int, d_head: int, generator):
    qkv = torch.randn(batch, T, 3 * heads * d_head, generator=generator, requires_grad=True)
    grad = torch.randn(batch, heads, T, d_head, generator=generator)
    return qkv, grad


def _split(qkv: torch.Tensor, heads: int):
    return [rearrange(t, "b t (h d) -> b h t d", h=heads) for t in qkv.chunk(3, dim=-1)]


def candidates(batch: int, heads: int, T: int, d_head: int, mask_kind: str, generator) -> dict:
    """Forward + backward of each path on the same inputs."""
    qkv, grad = _inputs(batch, heads, T, d_head, generator)
    if mask_kind == "causal":
        mask, sdpa_kwargs = causal_mask(T), {"is_causal": True}
    else:  # a different Part A / Part B split in every row
        sep = torch.randint(1, T, (batch,), generator=generator)
        mask = glm_mask(T, sep)[:, None]  # [B, 1, T, T], broadcast over the heads
        sdpa_kwargs = {"attn_mask": mask}

    def sdpa():
        q, k, v = _split(qkv, heads)
        F.scaled_dot_product_attention(q, k, v, **sdpa_kwargs).backward(grad)
        qkv.grad = None

    def explicit():
        q, k, v = _split(qkv, heads)
        out, _weights = explicit_attention(q, k, v, mask=mask)
        out.backward(grad)
        qkv.grad = None

    return {"sdpa": sdpa, "explicit": explicit}


def run(*, quick: bool = False, tiny: bool = False, threads: int | None = None,
        previous: dict | None = None) -> Table:
    threads = set_threads(threads)
    batch, heads, d_head = (2, 2, 8) if tiny else (16, 4, 64)
    lengths = (16, 32) if tiny else (64, 128, 256, 512)
    kinds = ("causal",) if quick or tiny else ("causal", "bool [B, T, T]")
    repeats = 1 if tiny else 5 if quick else 9
    gen = torch.Generator().manual_seed(0)
    table = Table("attention", "Attention: explicit path vs SDPA, forward + backward",
                  ["T", "mask", "SDPA ms", "explicit ms", "explicit / SDPA"])
    data = []
    for T in lengths:
        for kind in kinds:
            times = measure(candidates(batch, heads, T, d_head, kind, gen), repeats=repeats,
                            inner=1 if T >= 256 or tiny else 3)
            sdpa, explicit = median(times["sdpa"]), median(times["explicit"])
            table.add(T, kind, 1e3 * sdpa, 1e3 * explicit, f"{explicit / sdpa:.2f}x")
            data.append({"T": T, "mask": kind, "sdpa_seconds": times["sdpa"],
                         "explicit_seconds": times["explicit"]})
    table.notes += [
        f"{threads_label(threads)}, fp32, batch {batch}, {heads} heads, d_head {d_head}; Q, K, V from one "
        "fused projection (strided views), gradients flow back into it.",
        "The explicit path materialises the [B, h, T, T] weights (that is what lets it return them); "
        "SDPA computes the same output block by block without storing them.",
    ]
    if not tiny:
        gib = batch * heads * lengths[-1] ** 2 * 4 / 2 ** 30
        table.notes.append(f"At T={lengths[-1]} one [B, h, T, T] fp32 tensor is {fmt(gib)} GiB.")
    table.data = {"batch": batch, "heads": heads, "d_head": d_head, "threads": threads, "rows": data}
    return table


if __name__ == "__main__":
    print(run().markdown())
