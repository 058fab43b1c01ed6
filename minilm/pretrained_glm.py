"""A small GLM pretrained on the course corpus, trained once and cached in ``checkpoints/``.

Notebook 07 pretrains it and saves it; later notebooks and tests load it. Like
``minilm.pretrained.pretrained_gpt``, ``pretrained_glm()`` loads the checkpoint when one made
by the same recipe exists and otherwise trains it and saves it, so every notebook also runs
on its own, in any order. It uses the same stories and the same word tokenizer as the GPT.

    pre = pretrained_glm()                 # -> Pretrained(model, tokenizer, recipe, history, ...)
    fill_blanks(pre.model, pre.tokenizer, "ben lives in [MASK] .").text

The model trains and is returned on ``device`` (default ``minilm.device.default_device()``:
a GPU when there is one); the checkpoint is always written from a CPU copy and read onto the
CPU first, so a cache written on a GPU loads on a machine without one. The short recipe of
``MINILM_FAST=1`` runs is cached under its own name, so a quick test run never replaces the
full model.

Pretraining is GLM's multi-task blank infilling (Du et al., 2022, Sec. 2.1). A sample
is one or two consecutive sentences of a story (short samples: a model this small learns to
find its [MASK] among few positions much sooner), turned into a GLM example by either

* blank infilling: spans with Poisson(3) lengths cover 15 % of the text
  (``minilm.objectives.blank_infilling.blank_infilling``), the paper's NLU objective; or
* document level (``document_ratio`` of the samples): ONE span covering a uniform 50-100 %
  of the text, at its end, the paper's long-text objective (GLM_Doc; the span at the end
  as in GLM's gMASK): Part A is a prefix, Part B its continuation.

Both are the same loss, Eq. 1, with different span distributions; the second gives the
model more tokens to predict per sample and teaches it to write longer spans.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch

from minilm.data.text import split_sentences
from minilm.device import chosen_device
from minilm.models.glm import GLM, GLMConfig
from minilm.objectives.blank_infilling import blank_infilling, glm_collate, glm_sample
from minilm.pretrained import (
    CourseCorpus,
    Pretrained,
    PretrainRecipe,
    checkpoint_path,
    course_corpus,
    load_or_pretrain,
)
from minilm.settings import FAST
from minilm.train import train

CHECKPOINT_NAME = "glm_pretrained.safetensors"
FAST_CHECKPOINT_NAME = "glm_pretrained_fast.safetensors"  # the short recipe's own file


@dataclass(frozen=True)
class GLMRecipe:
    """Everything that decides the pretrained GLM; a cached checkpoint is reused only when
    its recipe equals the one asked for."""

    n_stories: int = 3000      # the same corpus as the pretrained GPT
    corpus_seed: int = 0
    heldout: int = 300         # the last stories, never trained on
    max_len: int = 64          # context window: Part A + Part B must fit
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    max_sentences: int = 2     # a sample is 1 .. max_sentences consecutive sentences of a story
    window: int = 48           # at most this many tokens of text (48 + 2 x 8 blanks <= 64)
    mask_ratio: float = 0.15   # blank infilling: share of the text in spans
    poisson_lambda: float = 3.0
    document_ratio: float = 0.3  # share of samples with one long span at the end instead
    batch_size: int = 64
    steps: int = 1500
    lr: float = 3e-3
    warmup: int = 50
    seed: int = 0              # initialisation, samples, spans and orders

    def config(self, vocab_size: int) -> GLMConfig:
        return GLMConfig(vocab_size=vocab_size, max_len=self.max_len, d_model=self.d_model,
                         n_layers=self.n_layers, n_heads=self.n_heads)

    def corpus_recipe(self) -> PretrainRecipe:
        return PretrainRecipe(n_stories=self.n_stories, corpus_seed=self.corpus_seed, heldout=self.heldout)

    @classmethod
    def fast(cls) -> GLMRecipe:
        """The short recipe of ``MINILM_FAST=1`` runs (tests, CI)."""
        return cls(steps=150, batch_size=32)


def default_glm_recipe() -> GLMRecipe:
    """``GLMRecipe.fast()`` under ``MINILM_FAST=1``, else the full recipe."""
    return GLMRecipe.fast() if FAST else GLMRecipe()


def checkpoint_name(recipe: GLMRecipe) -> str:
    """The file a recipe is cached in: the FAST recipe has its own, so that a test run does
    not overwrite the full model (the next full run would have to pretrain it again)."""
    return FAST_CHECKPOINT_NAME if recipe == GLMRecipe.fast() else CHECKPOINT_NAME


def story_sentences(texts, tokenizer) -> list[list[list[int]]]:
    """Each story as a list of its sentences' token ids (the units GLM samples are cut from)."""
    return [[tokenizer.encode(sentence) for sentence in split_sentences(text)] for text in texts]


def glm_pretraining_sample(ids: torch.Tensor, tokenizer, recipe: GLMRecipe,
                           generator: torch.Generator | None = None) -> dict:
    """One GLM example from a piece of text ``ids``: blank infilling, or (with probability
    ``recipe.document_ratio``) one span over the last 50-100 % of it."""
    special = {"mask_id": tokenizer.mask_token_id, "start_id": tokenizer.span_start_token_id,
               "end_id": tokenizer.span_end_token_id}
    if float(torch.rand(1, generator=generator)) < recipe.document_ratio:
        n = len(ids)
        length = max(1, int(n * float(torch.empty(1).uniform_(0.5, 1.0, generator=generator))))
        return glm_sample(ids, [(n - length, n)], order=[0], **special)
    return blank_infilling(ids, mask_ratio=recipe.mask_ratio, poisson_lambda=recipe.poisson_lambda,
                           generator=generator, **special)


def glm_batch(stories: list[list[list[int]]], tokenizer, recipe: GLMRecipe,
              generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """``recipe.batch_size`` GLM examples, each cut from a random story: 1 to
    ``recipe.max_sentences`` consecutive sentences (at most ``recipe.window`` tokens),
    padded into one batch (``glm_collate``)."""
    samples = []
    draws = torch.rand(recipe.batch_size, 3, generator=generator).tolist()
    for story_draw, count_draw, start_draw in draws:
        story = stories[int(story_draw * len(stories))]
        count = 1 + int(count_draw * min(recipe.max_sentences, len(story)))
        start = int(start_draw * (len(story) - count + 1))
        ids = [t for sentence in story[start: start + count] for t in sentence][: recipe.window]
        samples.append(glm_pretraining_sample(torch.tensor(ids), tokenizer, recipe, generator))
    return glm_collate(samples, tokenizer.pad_token_id)


def pretrain_glm(recipe: GLMRecipe | None = None, *, corpus: CourseCorpus | None = None,
                 progress: bool | str = "auto", device: torch.device | str | None = None) -> Pretrained:
    """Train a GLM on the course corpus with blank infilling (no caching; see ``pretrained_glm``),
    on ``device`` (default ``minilm.device.default_device()``)."""
    recipe = recipe or default_glm_recipe()
    device = chosen_device(device)
    corpus = corpus or course_corpus(recipe.corpus_recipe())
    tokenizer = corpus.tokenizer
    generator = torch.Generator().manual_seed(recipe.seed)
    with torch.random.fork_rng():  # initialisation draws from the global generator
        torch.manual_seed(recipe.seed)
        model = GLM(recipe.config(tokenizer.vocab_size)).to(device)  # the same weights on any device
    # The same held-out windows, spans and orders at every evaluation.
    train_stories = story_sentences(corpus.train_texts, tokenizer)
    heldout_stories = story_sentences(corpus.heldout_texts, tokenizer)
    heldout_generator = torch.Generator().manual_seed(recipe.seed + 1)
    eval_batches = [glm_batch(heldout_stories, tokenizer, recipe, heldout_generator) for _ in range(4)]
    # Batches are drawn on the CPU (the same samples on any device); train moves each to the model.
    history = train(model, lambda: glm_batch(train_stories, tokenizer, recipe, generator),
                    steps=recipe.steps, lr=recipe.lr, warmup=recipe.warmup, progress=progress,
                    eval_batches=eval_batches, eval_every=max(1, recipe.steps // 10),
                    desc="pretraining GLM")
    model.eval()
    return Pretrained(model, tokenizer, recipe, dataclasses.asdict(history), trained_now=True)


def pretrained_glm(recipe: GLMRecipe | None = None, *, path=None, retrain: bool = False,
                   progress: bool | str = "auto", device: torch.device | str | None = None) -> Pretrained:
    """The GLM pretrained with ``recipe``, on ``device`` (default
    ``minilm.device.default_device()``): loaded from ``path`` if it holds one made by the same
    recipe, else trained now and saved there (``checkpoints/glm_pretrained.safetensors`` in the
    course folder by default; ``glm_pretrained_fast.safetensors`` for the FAST recipe).
    ``retrain=True`` always trains."""
    recipe = recipe or default_glm_recipe()
    if not isinstance(recipe, GLMRecipe):
        raise TypeError(f"recipe must be a GLMRecipe, got {type(recipe).__name__}")
    device = chosen_device(device)

    def pretrain_on_device_save_from_cpu() -> Pretrained:
        pre = pretrain_glm(recipe, progress=progress, device=device)
        pre.model.cpu()  # the cache holds CPU tensors: it loads on a machine without a GPU
        return pre

    pre = load_or_pretrain(recipe, checkpoint_path(path, checkpoint_name(recipe)), retrain=retrain,
                           pretrain=pretrain_on_device_save_from_cpu)
    pre.model.to(device)  # loaded onto the CPU (load_checkpoint's map_location), then moved
    return pre
