"""A small GPT pretrained on the course corpus, trained once and cached in ``checkpoints/``.

Notebook 03 pretrains it and saves it; notebook 04 (and any later one, and the tests)
fine-tune it. Each of them calls ``pretrained_gpt()``, which loads the checkpoint when one
made by the same recipe exists and otherwise trains it (a minute or less on a laptop CPU)
and saves it - so every notebook also runs on its own, in any order.

    pre = pretrained_gpt()          # -> Pretrained(model, tokenizer, recipe, history, ...)
    pre.model(input_ids)            # a minilm GPT

Pretraining is GPT-1's L_1 (Radford et al., 2018, Eq. 1): random windows of k = max_len
tokens from the stream of stories (``minilm.data.lm_windows``), labels = the inputs shifted
by one (``minilm.objectives.clm.clm_labels``), the loop of ``minilm.train``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from minilm.checkpoint import load_checkpoint, read_header, save_checkpoint
from minilm.data.batching import lm_windows
from minilm.data.corpus import synthetic_corpus
from minilm.device import chosen_device
from minilm.models.gpt import GPT, GPTConfig
from minilm.objectives.clm import clm_labels
from minilm.settings import FAST, course_root
from minilm.tokenizer import WordTokenizer
from minilm.train import History, train

CHECKPOINT_NAME = "gpt_pretrained.safetensors"
FAST_CHECKPOINT_NAME = "gpt_pretrained_fast.safetensors"  # the short recipe's own file


@dataclass(frozen=True)
class PretrainRecipe:
    """Everything that decides the pretrained model; a cached checkpoint is reused only
    when its recipe is equal to the one asked for."""

    n_stories: int = 3000     # size of the synthetic corpus (about 90 000 tokens)
    corpus_seed: int = 0      # which stories; the world facts never change
    heldout: int = 300        # the last stories, never trained on: held-out LM loss
    max_len: int = 64         # context window k (training windows are this long)
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    batch_size: int = 32
    steps: int = 500          # about 25 s on one CPU core; the world facts are learned by then
    lr: float = 1e-2          # high for a Transformer, fine for one this small (with warm-up)
    warmup: int = 50
    seed: int = 0             # initialisation and the order of the windows

    def config(self, vocab_size: int) -> GPTConfig:
        return GPTConfig(vocab_size=vocab_size, max_len=self.max_len, d_model=self.d_model,
                         n_layers=self.n_layers, n_heads=self.n_heads)

    @classmethod
    def fast(cls) -> PretrainRecipe:
        """The short recipe of ``MINILM_FAST=1`` runs (CI): it only has to run, not to be good."""
        return cls(steps=200, batch_size=16)


def default_recipe() -> PretrainRecipe:
    """``PretrainRecipe.fast()`` under ``MINILM_FAST=1``, else the full recipe."""
    return PretrainRecipe.fast() if FAST else PretrainRecipe()


@dataclass
class CourseCorpus:
    """The corpus split into training and held-out stories, its tokenizer and id streams."""

    train_texts: list[str]
    heldout_texts: list[str]
    tokenizer: WordTokenizer
    train_ids: torch.Tensor    # one long stream: <s> story <e> <s> story <e> ...
    heldout_ids: torch.Tensor

    def unigram_entropy(self) -> float:
        """Entropy (nats) of the training stream's token frequencies: the loss of the best
        model that ignores the context, the baseline a language model must beat."""
        counts = torch.bincount(self.train_ids, minlength=self.tokenizer.vocab_size).double()
        p = counts[counts > 0] / counts.sum()
        return float(-(p * p.log()).sum())


def course_corpus(recipe: PretrainRecipe | None = None) -> CourseCorpus:
    """Stories of the synthetic corpus, a word tokenizer trained on the training part, and
    both parts encoded as id streams ``<s> story <e> <s> story <e> ...``."""
    recipe = recipe or default_recipe()
    stories = synthetic_corpus(recipe.n_stories, seed=recipe.corpus_seed)
    train_texts, heldout_texts = stories[: -recipe.heldout], stories[-recipe.heldout:]
    tokenizer = WordTokenizer.train(train_texts)
    return CourseCorpus(train_texts, heldout_texts, tokenizer, story_stream(tokenizer, train_texts),
                        story_stream(tokenizer, heldout_texts))


def story_stream(tokenizer, texts: list[str]) -> torch.Tensor:
    """One 1-D id stream with every story framed as ``<s> story <e>``: the model learns
    where a text starts and that ``<e>`` ends it (generation stops there)."""
    start, end = tokenizer.bos_token_id, tokenizer.eos_token_id
    return torch.tensor([i for text in texts for i in (start, *tokenizer.encode(text), end)],
                        dtype=torch.long)


def lm_batch(ids: torch.Tensor, *, max_len: int, batch_size: int,
             generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
    """A causal-LM batch: ``batch_size`` random windows of ``max_len`` tokens and their
    next-token labels (the last position of each window has none)."""
    windows = lm_windows(ids, block_size=max_len - 1, batch_size=batch_size, generator=generator)
    return {"input_ids": windows, "labels": clm_labels(windows)}


def heldout_batches(ids: torch.Tensor, *, max_len: int, n_windows: int = 64,
                    batch_size: int = 32) -> list[dict[str, torch.Tensor]]:
    """Fixed, evenly spaced windows of a held-out stream: the same text at every evaluation."""
    starts = torch.linspace(0, len(ids) - max_len, n_windows).long()
    windows = ids[starts[:, None] + torch.arange(max_len)]  # [n_windows, max_len]
    return [{"input_ids": w, "labels": clm_labels(w)} for w in windows.split(batch_size)]


@dataclass
class Pretrained:
    """What ``pretrained_gpt`` (and ``pretrained_glm``) return."""

    model: torch.nn.Module
    tokenizer: WordTokenizer
    recipe: PretrainRecipe  # or a GLMRecipe: whatever the model was trained with
    history: dict = field(default_factory=dict)  # steps, train_loss, lr, eval_steps, eval_loss, seconds
    path: Path | None = None
    trained_now: bool = False  # False when it was loaded from the checkpoint

    def history_object(self) -> History:
        return History(**{k: self.history[k] for k in ("steps", "train_loss", "lr", "eval_steps",
                                                       "eval_loss", "seconds")})


def load_or_pretrain(recipe, path: Path, *, retrain: bool, pretrain: Callable[[], Pretrained]) -> Pretrained:
    """The model trained with ``recipe``: read from ``path`` if the checkpoint there records
    the same recipe, else ``pretrain()`` now and saved to ``path`` (atomically) for next time."""
    if not retrain and path.is_file():
        try:
            cached = read_header(path)["extra"].get("recipe")
        except ValueError:
            cached = None  # unreadable (say, an interrupted copy): train a new one
        if cached == dataclasses.asdict(recipe):
            model, tokenizer, extra = load_checkpoint(path)
            model.eval()
            return Pretrained(model, tokenizer, recipe, extra["history"], path, trained_now=False)
    pre = pretrain()
    # JSON has no NaN or infinity: a diverged loss is stored as null
    history = {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
               for k, v in pre.history.items()}
    pre.path = save_checkpoint(pre.model, path, tokenizer=pre.tokenizer,
                               extra={"recipe": dataclasses.asdict(recipe), "history": history})
    return pre


def pretrain_gpt(recipe: PretrainRecipe | None = None, *, corpus: CourseCorpus | None = None,
                 progress: bool | str = "auto", device=None) -> Pretrained:
    """Train a GPT on the course corpus with L_1 (no caching; see ``pretrained_gpt``), on
    ``device`` (default: ``minilm.device.default_device()``)."""
    recipe = recipe or default_recipe()
    device = chosen_device(device)
    corpus = corpus or course_corpus(recipe)
    generator = torch.Generator().manual_seed(recipe.seed)
    with torch.random.fork_rng():  # initialisation draws from the global generator
        torch.manual_seed(recipe.seed)
        model = GPT(recipe.config(corpus.tokenizer.vocab_size)).to(device)
    history = train(
        model, lambda: lm_batch(corpus.train_ids, max_len=recipe.max_len,
                                batch_size=recipe.batch_size, generator=generator),
        steps=recipe.steps, lr=recipe.lr, warmup=recipe.warmup, progress=progress,
        eval_batches=heldout_batches(corpus.heldout_ids, max_len=recipe.max_len),
        eval_every=max(1, recipe.steps // 10), desc="pretraining GPT")
    model.eval()
    return Pretrained(model, corpus.tokenizer, recipe, dataclasses.asdict(history), trained_now=True)


def checkpoint_name(recipe: PretrainRecipe) -> str:
    """The file a recipe is cached in: the FAST recipe has its own, so that a test run does
    not overwrite the full model (the next full run would have to pretrain it again)."""
    return FAST_CHECKPOINT_NAME if recipe == PretrainRecipe.fast() else CHECKPOINT_NAME


def checkpoint_path(path, name: str) -> Path:
    """``path`` if given, else ``checkpoints/<name>`` in the course folder."""
    return Path(path) if path is not None else course_root() / "checkpoints" / name


def pretrained_gpt(recipe: PretrainRecipe | None = None, *, path=None, retrain: bool = False,
                   progress: bool | str = "auto", device=None) -> Pretrained:
    """The GPT pretrained with ``recipe``: loaded from ``path`` if it holds one made by the
    same recipe, else trained now and saved there (``checkpoints/gpt_pretrained.safetensors``
    in the course folder by default; ``gpt_pretrained_fast.safetensors`` for the FAST
    recipe). ``retrain=True`` always trains. The model is on
    ``device`` (the notebooks pass ``DEVICE``; default: ``minilm.device.default_device()``).
    The checkpoint is read onto the CPU and then moved, so one saved on a GPU loads anywhere."""
    recipe = recipe or default_recipe()
    device = chosen_device(device)
    pre = load_or_pretrain(recipe, checkpoint_path(path, checkpoint_name(recipe)), retrain=retrain,
                           pretrain=lambda: pretrain_gpt(recipe, progress=progress, device=device))
    pre.model.to(device)
    return pre
