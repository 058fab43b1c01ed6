"""The objective arena: six pretraining objectives at equal size and budget, judged alike.

GLM's paper (Du et al., 2022) claims one model can be good at understanding, blank
filling and generation, where BERT-style, GPT-style and encoder-decoder objectives each
win one of them. The arena repeats that comparison in miniature, on the course's
synthetic corpus:

* ``objectives`` - CLM, MLM, prefix LM, BART, T5 and GLM as batch functions, and
  ``register_objective`` to enter your own;
* ``contestants`` - the models at one size (equal non-embedding parameters), their cost
  (tokens, FLOPs) and a ``Reader`` that asks every model the same questions;
* ``metrics`` - the shared metrics, one function each;
* ``run`` - ``run_arena(ArenaConfig(...), out_dir)``: pretrain, judge, write JSON (resumable);
* ``report`` - ``markdown_table``, ``plot_results`` and ``verdict`` (ties inside the seed spread).

From a terminal: ``python -m minilm arena --seeds 3 --out arena``.
"""

from minilm.arena.contestants import Sizes, build_model, non_embedding_parameters, reader_for
from minilm.arena.metrics import (
    METRICS,
    blank_exact_match,
    cloze_accuracy,
    continuation_nll,
    fact_claims,
    fact_precision,
    finetuned_accuracy,
)
from minilm.arena.objectives import BUILTIN, MODELS, OBJECTIVES, Objective, mlm_batch, register_objective
from minilm.arena.report import leaders, markdown_table, plot_results, summary, uninformative, verdict
from minilm.arena.run import ArenaConfig, load_results, run_arena

__all__ = [
    "BUILTIN", "METRICS", "MODELS", "OBJECTIVES", "ArenaConfig", "Objective", "Sizes",
    "blank_exact_match", "build_model", "cloze_accuracy", "continuation_nll", "fact_claims",
    "fact_precision", "finetuned_accuracy", "leaders", "load_results", "markdown_table",
    "mlm_batch", "non_embedding_parameters", "plot_results", "reader_for", "register_objective",
    "run_arena", "summary", "uninformative", "verdict",
]
