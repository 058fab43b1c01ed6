"""The hardware ceiling: fp32 matmul GFLOP/s at exactly the GEMM sizes one training step runs.

A Transformer step is mostly matrix multiplications. If we time those multiplications
alone, at the model's own shapes and memory layouts, we know how fast the step *could*
run if nothing else (softmax, LayerNorm, GELU, the optimizer, Python) cost anything:

    ceiling = sum(FLOPs of every GEMM in a step) / sum(measured time of each GEMM)

Every ``nn.Linear`` with input X [M, K] (M = batch * context) and weight W [N, K] runs
three GEMMs per training step: the forward ``X W^T``, the input gradient ``dY W`` and the
weight gradient ``dY^T X``, each 2 M K N FLOPs. Attention adds batched ``Q K^T`` and
``P V`` products and their gradients. A large square matmul is shown for comparison: it
is the best case for the BLAS library, which small model GEMMs rarely reach.

Model FLOPs per token (PaLM, Chowdhery et al., 2022, App. B):

    6 N + 12 L d T      (N = parameters of the matmul weights, L layers, width d, context T)

6 N counts forward (2 N) and backward (4 N) multiply-adds; 12 L d T is attention's
``Q K^T`` and ``P V``, counted over the full T x T square even when the mask is causal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from benchmarks.common import Table, fmt, measure, median, set_threads, threads_label


@dataclass(frozen=True)
class ModelShape:
    """The sizes that decide a GPT's GEMMs (defaults: the training benchmark's model)."""

    batch: int = 32
    context: int = 128
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 4
    vocab: int = 512
    d_ff: int | None = None

    @property
    def ff(self) -> int:
        return self.d_ff or 4 * self.d_model

    @property
    def tokens(self) -> int:
        return self.batch * self.context

    def matmul_params(self) -> int:
        """N: weights that take part in a matmul (blocks' Linear layers and the tied output
        layer; the position table is a lookup and LayerNorms are elementwise)."""
        d = self.d_model
        per_layer = d * 3 * d + d * d + d * self.ff + self.ff * d
        return self.n_layers * per_layer + self.vocab * d

    def flops_per_token(self) -> float:
        """Training FLOPs per token: 6 N + 12 L d T (see the module docstring)."""
        return 6 * self.matmul_params() + 12 * self.n_layers * self.d_model * self.context

    def gemms(self) -> list[tuple[str, int, int, int, int, int]]:
        """(name, batch, M, K, N, times per step) of every matmul ``Y = X W`` of one forward.

        Each one runs three GEMMs per training step (forward, input gradient, weight gradient).
        Attention's ``Q K^T`` and ``P V`` are batched over batch x heads.
        """
        d, M, L, T = self.d_model, self.tokens, self.n_layers, self.context
        bh, dh = self.batch * self.n_heads, self.d_model // self.n_heads
        return [("QKV projection", 1, M, d, 3 * d, L), ("attention output projection", 1, M, d, d, L),
                ("MLP up", 1, M, d, self.ff, L), ("MLP down", 1, M, self.ff, d, L),
                ("LM head (tied embedding)", 1, M, d, self.vocab, 1),
                ("attention scores Q K^T", bh, T, dh, T, L), ("attention output P V", bh, T, T, dh, L)]


TINY = ModelShape(batch=2, context=16, d_model=32, n_layers=1, n_heads=2, vocab=64)  # smoke tests


def _gemm_triple(b: int, M: int, K: int, N: int, generator) -> dict[str, Callable[[], torch.Tensor]]:
    """Forward ``X @ W`` and its two gradients, ``dY @ W^T`` and ``X^T @ dY``, in the
    transposed-view layouts autograd passes to the BLAS library (nn.Linear stores W as [N, K])."""
    x = torch.randn(b, M, K, generator=generator)
    w = torch.randn(b, N, K, generator=generator).transpose(1, 2)  # [b, K, N] view of [b, N, K]
    dy = torch.randn(b, M, N, generator=generator)
    if b == 1:
        x, w, dy = x[0], w[0], dy[0]
        return {"forward": lambda: torch.mm(x, w), "grad input": lambda: torch.mm(dy, w.t()),
                "grad weight": lambda: torch.mm(x.t(), dy)}
    return {"forward": lambda: torch.bmm(x, w), "grad input": lambda: torch.bmm(dy, w.transpose(1, 2)),
            "grad weight": lambda: torch.bmm(x.transpose(1, 2), dy)}


def step_gemms(shape: ModelShape, generator) -> tuple[Callable[[], None], float]:
    """``(run, flops)``: ``run()`` does every GEMM of one training step once, as often as a
    step does it; ``flops`` is their total. The training table times it interleaved with the
    models, so its ceiling and the models' speed are measured under the same conditions."""
    calls, flops = [], 0.0
    for _name, b, M, K, N, count in shape.gemms():
        calls += list(_gemm_triple(b, M, K, N, generator).values()) * count
        flops += 3 * count * 2.0 * b * M * K * N

    def run():
        for call in calls:
            call()

    return run, flops


def ceiling(shape: ModelShape = ModelShape(), *, repeats: int = 5, inner: int = 3,
            with_square: bool = True) -> dict:
    """Time every GEMM of one training step; returns per-GEMM GFLOP/s and the ceiling."""
    gen = torch.Generator().manual_seed(0)
    rows, total_flops, total_seconds = [], 0.0, 0.0
    for name, b, M, K, N, count in shape.gemms():
        times = measure(_gemm_triple(b, M, K, N, gen), repeats=repeats, inner=inner)
        flops = 2.0 * b * M * K * N
        gflops = {which: flops / median(t) / 1e9 for which, t in times.items()}
        rows.append({"gemm": name, "shape": (f"{b} x " if b > 1 else "") + f"{M} x {K} x {N}",
                     "count": count, "gflops": gflops})
        total_flops += 3 * count * flops
        total_seconds += count * sum(median(t) for t in times.values())
    result = {"rows": rows, "ceiling_gflops": total_flops / total_seconds / 1e9,
              "gemm_flops_per_step": total_flops, "gemm_seconds_per_step": total_seconds}
    if with_square:
        n = 2048
        a, b = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
        t = measure({"square": lambda: torch.mm(a, b)}, repeats=repeats, inner=1)["square"]
        result["square"] = {"n": n, "gflops": 2.0 * n ** 3 / median(t) / 1e9}
    return result


def run(*, quick: bool = False, tiny: bool = False, threads: int | None = None,
        previous: dict | None = None) -> Table:
    threads = set_threads(threads)
    shape = TINY if tiny else ModelShape()
    result = ceiling(shape, repeats=1 if tiny else 3 if quick else 5, inner=1 if tiny else 3,
                     with_square=not tiny)
    table = Table("matmul", "Hardware ceiling: fp32 matmul GFLOP/s at the model's GEMM sizes",
                  ["GEMM (per step)", "[batch x] M x K x N", "forward", "grad input", "grad weight"])
    for row in result["rows"]:
        g = row["gflops"]
        table.add(f"{row['gemm']} (x{row['count']})", row["shape"], g["forward"], g["grad input"],
                  g["grad weight"])
    table.add("**ceiling: one training step's GEMMs, FLOP-weighted**", "",
              f"**{fmt(result['ceiling_gflops'])}**", "", "")
    if "square" in result:
        n = result["square"]["n"]
        table.add("for comparison: one large square matmul", f"{n} x {n} x {n}", result["square"]["gflops"],
                  "", "")
    table.notes += [
        f"{threads_label(threads)}, fp32, batch {shape.batch} x context {shape.context} "
        f"(M = {shape.tokens} tokens), d={shape.d_model}, {shape.n_layers} layers, "
        f"{shape.n_heads} heads, vocab {shape.vocab}.",
        f"One training step's GEMMs take {fmt(1e3 * result['gemm_seconds_per_step'])} ms at these speeds: "
        "a step made only of them would take that long. The training table times the same GEMMs as one "
        "block between its models (its last row) and divides by that speed for its MFU column.",
        f"Model FLOPs per token = 6 N + 12 L d T = {fmt(shape.flops_per_token())} "
        f"(N = {shape.matmul_params():,} matmul weights).",
    ]
    table.data = {"shape": shape.__dict__, "threads": threads, **result}
    return table


if __name__ == "__main__":
    print(run().markdown())
