"""Data side: what building one training batch costs, as a fraction of one training step.

Each objective turns clean token ids into a model's batch: BERT masks 15 % of the tokens,
BART replaces Poisson-length spans with one [MASK], GLM moves spans into Part B with 2D
positions, T5 swaps spans for sentinels. The objectives that work per sequence (BART,
GLM, T5) are looped over the batch's rows and then padded into tensors, exactly as a
training loop would do it, so the number includes the collation.

The reference is one training step (forward + backward + AdamW) of the training
benchmark's GPT on a batch of the same size; if building the batch costs a few percent
of that, the model, not the data, sets the pace.

To add an objective: write a ``prepare(module, ids, generator) -> callable`` and add one
``DataCase`` to ``CASES``; if its module cannot be imported, the row is skipped with a note.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn.utils.rnn import pad_sequence

from benchmarks.bench_matmul import TINY, ModelShape
from benchmarks.common import Table, measure, median, set_threads, threads_label
from minilm.data import synthetic_corpus

MASK, START, END, PAD = 4, 5, 6, 0   # special ids of a toy vocabulary; ids >= 8 are words
SENTINELS = list(range(8, 8 + 100))  # T5's <extra_id_k>


def _pad(rows: list[torch.Tensor], value: int) -> torch.Tensor:
    return pad_sequence(rows, batch_first=True, padding_value=value)


def prepare_clm(module, ids, generator):
    return lambda: module.clm_labels(ids)


def prepare_lm_windows(module, ids, generator):
    stream = ids.flatten()
    block, batch = ids.shape[1] - 1, ids.shape[0]
    return lambda: module.lm_windows(stream, block_size=block, batch_size=batch, generator=generator)


def prepare_mlm(module, ids, generator):
    vocab = int(ids.max()) + 1
    return lambda: module.mask_tokens(ids, mask_id=MASK, vocab_size=vocab, special_ids=(PAD,),
                                      generator=generator)


def prepare_text_infilling(module, ids, generator):
    def batch():
        noised = [module.text_infilling(row, mask_id=MASK, generator=generator) for row in ids]
        return _pad(noised, PAD), ids  # the decoder's target is the clean text
    return batch


def prepare_glm(module, ids, generator):
    def batch():
        samples = [module.blank_infilling(row, mask_id=MASK, start_id=START, end_id=END,
                                          generator=generator) for row in ids]
        return module.glm_collate(samples, pad_id=PAD)
    return batch


def prepare_span_corruption(module, ids, generator):
    def batch():
        pairs = [module.span_corruption(row, sentinel_ids=SENTINELS, generator=generator) for row in ids]
        return _pad([p[0] for p in pairs], PAD), _pad([p[1] for p in pairs], PAD)
    return batch


@dataclass(frozen=True)
class DataCase:
    label: str
    module: str                 # imported lazily: a missing objective skips its row
    prepare: Callable           # (module, ids [B, T], generator) -> () -> batch


CASES: dict[str, DataCase] = {
    "clm": DataCase("GPT: clm_labels", "minilm.objectives.clm", prepare_clm),
    "lm-windows": DataCase("GPT: lm_windows (random windows of a token stream)", "minilm.data",
                           prepare_lm_windows),
    "mlm": DataCase("BERT: mask_tokens (80/10/10)", "minilm.objectives.mlm", prepare_mlm),
    "text-infilling": DataCase("BART: text_infilling per row + pad", "minilm.objectives.denoising",
                               prepare_text_infilling),
    "glm": DataCase("GLM: blank_infilling (glm_sample) per row + glm_collate",
                    "minilm.objectives.blank_infilling", prepare_glm),
    "span-corruption": DataCase("T5: span_corruption per row + pad", "minilm.objectives.span_corruption",
                                prepare_span_corruption),
}


def step_seconds(shape: ModelShape, previous: dict | None, *, repeats: int) -> tuple[float, str]:
    """One GPT training step at this batch size: from the training table if it ran, else measured."""
    training = (previous or {}).get("training")
    if training is not None and "gpt" in training.data.get("models", {}):
        return median(training.data["models"]["gpt"]["step_seconds"]), "training table"
    from benchmarks.bench_training import measure_training

    info, _ = measure_training(("gpt",), shape, repeats=repeats, steps=1)
    return median(info["gpt"]["step_seconds"]), "measured here"


def run(*, quick: bool = False, tiny: bool = False, threads: int | None = None,
        previous: dict | None = None) -> Table:
    threads = set_threads(threads)
    shape = TINY if tiny else ModelShape()
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(8 + len(SENTINELS), shape.vocab + 100, (shape.batch, shape.context), generator=gen)
    runs, skipped = {}, {}
    for name, case in CASES.items():
        try:
            module = importlib.import_module(case.module)
            runs[name] = case.prepare(module, ids, gen)
        except (ImportError, AttributeError) as error:
            skipped[name] = f"{case.label}: skipped ({error})"
    repeats = 1 if tiny else 5 if quick else 9
    times = measure(runs, repeats=repeats, warmup=1, inner=1 if tiny else 3)
    step, source = step_seconds(shape, previous, repeats=1 if tiny else 3)
    table = Table("data", "Data side: building one batch vs one training step",
                  ["objective (batch of B sequences)", "ms / batch", "% of a training step"])
    for name, t in times.items():
        seconds = median(t)
        table.add(CASES[name].label, 1e3 * seconds, f"{100 * seconds / step:.2f} %")
    table.notes += list(skipped.values())
    table.notes += [
        f"{threads_label(threads)}; batch {shape.batch} x {shape.context} token ids; the GPT training step "
        f"({shape.n_layers} layers, d={shape.d_model}) on a batch of that size takes {1e3 * step:.0f} ms "
        f"({source}).",
        "Per-sequence objectives include the Python loop over the rows and the padding into tensors.",
    ]
    stories = 20 if tiny else 2000
    build_corpus = {"corpus": lambda: synthetic_corpus(stories, seed=1)}
    corpus = measure(build_corpus, repeats=repeats, warmup=0)["corpus"]
    table.notes.append(f"synthetic_corpus({stories}), built once per notebook: {median(corpus):.2f} s.")
    table.data = {"threads": threads, "step_seconds": step, "corpus_seconds": corpus,
                  "seconds": {name: t for name, t in times.items()}, "skipped": skipped}
    return table


if __name__ == "__main__":
    print(run().markdown())
