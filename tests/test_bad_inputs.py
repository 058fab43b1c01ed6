"""Bad input across the public API: every case must fail at once with a clear error.

Each case feeds one bad input to one public function (a wrong type, shape, dtype or
value, NaN, a negative or huge size, an empty input, a mismatched batch, a bool where an
int belongs, a Hugging Face habit with another meaning here) and expects a ``ValueError``
or ``TypeError`` (``FileNotFoundError`` for a missing file) whose message names the
argument. A case that returns (a silent wrong answer), raises something else (a deep
torch error) or runs past its time bound (a hang) fails. The last test prints, by
category, how many cases give a clear error naming the argument (``pytest -rA`` shows it).
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import pytest
import torch

from minilm import checkpoint, course, evidence, grade, masks
from minilm.data import batching, corpus, tasks, text
from minilm.device import move_to
from minilm.finetune import batching as ft_batching
from minilm.finetune import bert as ft_bert
from minilm.finetune import bert_tasks, cloze, formats
from minilm.finetune import gpt as ft_gpt
from minilm.generate import generate, generate_blanks, generate_seq2seq, sample_next
from minilm.interop import from_hf, to_hf
from minilm.models import (
    GLM,
    GPT,
    Bart,
    BartConfig,
    Bert,
    BertConfig,
    EncoderConfig,
    EncoderLM,
    GLMConfig,
    GPTConfig,
    Seq2Seq,
    Seq2SeqConfig,
    shift_right,
)
from minilm.models.cbow import cbow_examples
from minilm.modes import evaluating
from minilm.objectives import blank_infilling, clm, denoising, directions, mlm, nsp, span_corruption
from minilm.tokenizer import WordTokenizer
from minilm.train import train
from minilm.viz import export, noise_with_info, plots

V = 40  # vocabulary of the tiny models
TIME_BOUND_S = 10  # per case: a hang fails instead of stalling the run


@dataclass(frozen=True)
class Case:
    category: str
    argument: str  # the name the error message must contain
    call: Callable[[], object]
    what: str  # the bad input, for the test id
    errors: tuple[type[BaseException], ...] = (ValueError, TypeError)

    @property
    def id(self) -> str:
        return f"{self.category}: {self.argument} {self.what}"


CASES: list[Case] = []


def case(category: str, argument: str, what: str, call: Callable[[], object], *,
         errors: tuple[type[BaseException], ...] = (ValueError, TypeError)) -> None:
    CASES.append(Case(category, argument, call, what, errors))


# ------------------------------------------------------------------------------ fixtures
torch.manual_seed(0)
IDS = torch.randint(5, V, (3, 6))        # [B, T] = [3, 6]
SQUARE = torch.randint(5, V, (4, 4))     # B == T: a [B, T] mask could pass for [T, T]
ONE = torch.arange(5, 15)                # one 1-D document
PAD = torch.ones(3, 6, dtype=torch.long)

gpt = GPT(GPTConfig.tiny(V)).eval()
encoder_lm = EncoderLM(EncoderConfig.tiny(V)).eval()
bert = Bert(BertConfig.tiny(V, n_segments=2)).eval()
glm = GLM(GLMConfig.tiny(V)).eval()
seq2seq = Seq2Seq(Seq2SeqConfig.tiny(V)).eval()
bart = Bart(BartConfig.tiny(V)).eval()
tokenizer = WordTokenizer.train(["the cat sat on the mat .", "a dog ran ."])
SPECIAL = formats.SpecialIds(1, 2, 3)


# The calls most cases share, with every other argument valid.
mask_tokens = partial(mlm.mask_tokens, mask_id=4, vocab_size=V)
text_infilling = partial(denoising.text_infilling, mask_id=4)
glm_sample = partial(blank_infilling.glm_sample, mask_id=4, start_id=1, end_id=2)
fit = partial(train, gpt, steps=1, progress=False)
to_target = partial(generate_seq2seq, seq2seq, start_id=1, max_new_tokens=2)
fill = partial(generate_blanks, glm, mask_id=4, start_id=1, eos_token_id=2)
classifier = ft_gpt.GPTClassifier(gpt, 2)


def glm_inputs(ids=IDS):
    B, T = ids.shape
    positions = torch.stack([torch.arange(T), torch.zeros(T, dtype=torch.long)]).expand(B, 2, T)
    return ids, positions, T // 2


def lm_batch():
    return {"input_ids": IDS, "labels": clm.clm_labels(IDS)}


# ----------------------------------------------------------------------------- masks
case("masks", "T", "= 0", lambda: masks.causal_mask(0))
case("masks", "T", "negative", lambda: masks.causal_mask(-3))
case("masks", "T", "float", lambda: masks.causal_mask(4.0))
case("masks", "T", "bool", lambda: masks.causal_mask(True))
case("masks", "T", "huge (10**5, a 10 GB matrix)", lambda: masks.causal_mask(10**5))
case("masks", "S", "smaller than T", lambda: masks.causal_mask(5, 3))
case("masks", "attention_mask", "1-D", lambda: masks.padding_mask(torch.ones(5)))
case("masks", "attention_mask", "holds 2", lambda: masks.padding_mask(torch.tensor([[1, 2]])))
case("masks", "attention_mask", "holds NaN", lambda: masks.padding_mask(torch.tensor([[1.0, math.nan]])))
case("masks", "attention_mask", "holds 0.5", lambda: masks.padding_mask(torch.tensor([[1.0, 0.5]])))
case("masks", "attention_mask", "a list", lambda: masks.padding_mask([[1, 0]]))
case("masks", "attention_mask", "[B, T, T] bool matrix",
     lambda: masks.causal_padding_mask(torch.ones(2, 3, 3, dtype=torch.bool)))
case("masks", "prefix_len", "> T", lambda: masks.prefix_lm_mask(4, 7))
case("masks", "prefix_len", "negative", lambda: masks.prefix_lm_mask(4, -1))
case("masks", "prefix_len", "float", lambda: masks.prefix_lm_mask(4, 1.5))
case("masks", "sep", "> T", lambda: masks.glm_mask(4, 9))
case("masks", "sep", "negative tensor", lambda: masks.glm_mask(4, torch.tensor([-1])))
case("masks", "sep", "float tensor", lambda: masks.glm_mask(4, torch.tensor([1.5])))
case("masks", "masks", "none given", lambda: masks.combine())
case("masks", "masks", "float mask", lambda: masks.combine(torch.ones(3, 3)))

# ------------------------------------------------------------------------ objectives
case("objectives", "input_ids", "float in clm_labels", lambda: clm.clm_labels(IDS.float()))
case("objectives", "input_ids", "3-D in clm_labels", lambda: clm.clm_labels(IDS[None]))
case("objectives", "attention_mask", "batch 1 for batch 3", lambda: clm.clm_labels(IDS, PAD[:1]))
case("objectives", "attention_mask", "holds 2 in reverse_tokens",
     lambda: directions.reverse_tokens(IDS, 2 * PAD))
case("objectives", "attention_mask", "batch 1 in reverse_tokens",
     lambda: directions.reverse_tokens(IDS, PAD[:1]))
case("objectives", "input_ids", "float in special_tokens_mask",
     lambda: mlm.special_tokens_mask(IDS.float(), [1]))
case("objectives", "sep_id", "negative in segment_ids", lambda: nsp.segment_ids(IDS, -1))
case("objectives", "input_ids", "float in mask_tokens", lambda: mask_tokens(IDS.float()))
case("objectives", "mlm_probability", "1.5", lambda: mask_tokens(IDS, mlm_probability=1.5))
case("objectives", "mlm_probability", "NaN", lambda: mask_tokens(IDS, mlm_probability=math.nan))
case("objectives", "vocab_size", "float", lambda: mask_tokens(IDS, vocab_size=40.0))
case("objectives", "vocab_size", "0", lambda: mask_tokens(IDS, vocab_size=0))
case("objectives", "mask_id", "outside the vocabulary", lambda: mask_tokens(IDS, mask_id=V))
case("objectives", "mask_id", "bool", lambda: mask_tokens(IDS, mask_id=True))
case("objectives", "input_ids", "ids >= vocab_size", lambda: mask_tokens(IDS, vocab_size=10))
case("objectives", "generator", "an int seed", lambda: mask_tokens(IDS, generator=0))
case("objectives", "special_ids", "a str", lambda: mask_tokens(IDS, special_ids="01"))
case("objectives", "ids", "2-D in token_masking", lambda: denoising.token_masking(IDS, mask_id=4))
case("objectives", "ratio", "negative", lambda: denoising.token_masking(ONE, mask_id=4, ratio=-0.1))
case("objectives", "ratio", "inf", lambda: denoising.token_deletion(ONE, ratio=math.inf))
case("objectives", "ids", "float in token_deletion", lambda: denoising.token_deletion(ONE.float()))
case("objectives", "poisson_lambda", "1e-12 (never returns)",
     lambda: text_infilling(ONE, poisson_lambda=1e-12))
case("objectives", "poisson_lambda", "0.01 (text grows 20x)",
     lambda: text_infilling(ONE, poisson_lambda=0.01))
case("objectives", "poisson_lambda", "NaN", lambda: text_infilling(ONE, poisson_lambda=math.nan))
case("objectives", "mask_ratio", "2", lambda: text_infilling(ONE, mask_ratio=2))
case("objectives", "mask_id", "negative", lambda: denoising.text_infilling(ONE, mask_id=-1))
case("objectives", "full_stop_id", "str", lambda: denoising.sentence_permutation(ONE, full_stop_id="."))
case("objectives", "ids", "empty", lambda: denoising.document_rotation(torch.tensor([], dtype=torch.long)))
case("objectives", "ids", "a list", lambda: denoising.document_rotation([1, 2, 3]))
case("objectives", "length", "0", lambda: blank_infilling.sample_spans(0))
case("objectives", "length", "huge (10**8) in sample_spans", lambda: blank_infilling.sample_spans(10**8))
case("objectives", "mask_ratio", "1.2", lambda: blank_infilling.sample_spans(10, mask_ratio=1.2))
case("objectives", "poisson_lambda", "0", lambda: blank_infilling.sample_spans(10, poisson_lambda=0))
case("objectives", "spans", "overlapping", lambda: glm_sample(ONE, [(1, 4), (3, 5)]))
case("objectives", "spans", "past the end", lambda: glm_sample(ONE, [(8, 12)]))
case("objectives", "spans", "empty span", lambda: glm_sample(ONE, [(3, 3)]))
case("objectives", "order", "not a permutation", lambda: glm_sample(ONE, [(1, 2), (4, 6)], order=[0, 0]))
case("objectives", "ids", "2-D in glm_sample", lambda: glm_sample(IDS, [(1, 2)]))
case("objectives", "pad_id", "negative",
     lambda: blank_infilling.glm_collate([glm_sample(ONE, [(1, 3)])], pad_id=-1))
case("objectives", "samples", "empty", lambda: blank_infilling.glm_collate([], pad_id=0))
case("objectives", "length", "huge (10**8)", lambda: span_corruption.random_spans_noise_mask(10**8))
case("objectives", "noise_density", "1.0",
     lambda: span_corruption.random_spans_noise_mask(512, noise_density=1.0))
case("objectives", "noise_density", "negative",
     lambda: span_corruption.random_spans_noise_mask(20, noise_density=-0.2))
case("objectives", "mean_span_length", "0",
     lambda: span_corruption.random_spans_noise_mask(20, mean_span_length=0))
case("objectives", "noise_mask", "int tensor", lambda: span_corruption.noise_spans(torch.tensor([0, 1, 1])))
case("objectives", "sentinel_ids", "too few",
     lambda: span_corruption.span_corruption(torch.arange(5, 105), sentinel_ids=[1], noise_density=0.5))
case("objectives", "sentinel_ids", "the same id twice",
     lambda: span_corruption.span_corruption(torch.arange(5, 45), sentinel_ids=[1] * 8, noise_density=0.3))
case("objectives", "ids", "float in span_corruption",
     lambda: span_corruption.span_corruption(ONE.float(), sentinel_ids=[1, 2, 3]))

# ---------------------------------------------------------------------------- models
case("models", "input_ids", "float", lambda: gpt(IDS.float()))
case("models", "input_ids", "1-D", lambda: gpt(ONE))
case("models", "input_ids", "ids >= vocab_size", lambda: gpt(IDS + V))
case("models", "input_ids", "negative ids", lambda: gpt(-IDS))
case("models", "input_ids", "longer than max_len", lambda: gpt(torch.randint(5, V, (1, 65))))
case("models", "attention_mask", "batch 1 for batch 3 (broadcast)", lambda: gpt(IDS, attention_mask=PAD[:1]))
case("models", "attention_mask", "holds 2", lambda: gpt(IDS, attention_mask=2 * PAD))
case("models", "attention_mask", "holds -1", lambda: gpt(IDS, attention_mask=-PAD))
case("models", "attention_mask", "holds NaN", lambda: gpt(IDS, attention_mask=torch.full((3, 6), math.nan)))
case("models", "attention_mask", "[B, T, T] matrix",
     lambda: gpt(IDS, attention_mask=torch.ones(3, 6, 6, dtype=torch.bool)))
case("models", "labels", "labels=input_ids on GPT (HF habit)", lambda: gpt(IDS, labels=IDS))
case("models", "labels", "float", lambda: gpt(IDS, labels=clm.clm_labels(IDS).float()))
case("models", "labels", ">= vocab_size", lambda: gpt(IDS, labels=IDS + V))
case("models", "labels", "wrong shape", lambda: gpt(IDS, labels=clm.clm_labels(IDS)[:, :-1]))
case("models", "labels", "-5 (not -100)", lambda: gpt(IDS, labels=torch.full_like(IDS, -5)))
case("models", "attention_mask", "bool [B, T, T] with B == T on EncoderLM",
     lambda: encoder_lm(SQUARE, attention_mask=torch.ones(4, 4, 4, dtype=torch.bool).tril()))
case("models", "attention_mask", "[T, T] matrix on EncoderLM",
     lambda: encoder_lm(IDS, attention_mask=torch.ones(6, 6, dtype=torch.bool)))
case("models", "attention_matrix", "float", lambda: encoder_lm(IDS, attention_matrix=torch.ones(6, 6)))
case("models", "attention_matrix", "wrong size",
     lambda: encoder_lm(IDS, attention_matrix=masks.causal_mask(5)))
case("models", "attention_mask", "bool [T, T] matrix on BERT",
     lambda: bert(IDS, attention_mask=masks.causal_mask(6)))
case("models", "token_type_ids", "2 with 2 segments", lambda: bert(IDS, token_type_ids=2 * PAD))
case("models", "token_type_ids", "wrong shape", lambda: bert(IDS, token_type_ids=PAD[:, :3]))
case("models", "labels", "float on BERT", lambda: bert(IDS, labels=IDS.float()))
case("models", "next_sentence_label", "2", lambda: bert(IDS, next_sentence_label=torch.tensor([0, 1, 2])))
case("models", "labels", "labels=input_ids on GLM (HF habit)", lambda: glm(*glm_inputs(), labels=IDS))
case("models", "position_ids", "[B, T] instead of [B, 2, T]", lambda: glm(IDS, IDS, 3))
case("models", "position_ids", "float", lambda: glm(IDS, glm_inputs()[1].float(), 3))
case("models", "sep", "> T", lambda: glm(*glm_inputs()[:2], 99))
case("models", "sep", "one per row, wrong batch", lambda: glm(*glm_inputs()[:2], torch.tensor([1, 2])))
case("models", "attention_mask", "batch 1 on GLM", lambda: glm(*glm_inputs(), attention_mask=PAD[:1]))
case("models", "decoder_input_ids", "float", lambda: seq2seq(IDS, decoder_input_ids=IDS.float()))
case("models", "decoder_input_ids", "batch 2 for source batch 3",
     lambda: seq2seq(IDS, decoder_input_ids=IDS[:2]))
case("models", "attention_mask", "source mask of the target's length",
     lambda: seq2seq(IDS, decoder_input_ids=IDS[:, :4], attention_mask=PAD[:, :4]))
case("models", "decoder_attention_mask", "holds 3",
     lambda: seq2seq(IDS, decoder_input_ids=IDS, decoder_attention_mask=3 * PAD))
case("models", "labels", "labels=decoder_input_ids on Seq2Seq",
     lambda: seq2seq(IDS, decoder_input_ids=IDS, labels=IDS))
case("models", "attention_mask", "batch 1 on BART",
     lambda: bart(IDS, decoder_input_ids=IDS, attention_mask=PAD[:1]))
case("models", "start_id", "negative in shift_right", lambda: shift_right(IDS, start_id=-1, pad_id=0))
case("models", "vocab_size", "0 in a config", lambda: GPTConfig.tiny(0))
case("models", "vocab_size", "2**40 in a config", lambda: GPT(GPTConfig.tiny(2**40)))
case("models", "n_heads", "does not divide d_model", lambda: GPTConfig.tiny(V, n_heads=5))
case("models", "dropout", "1.0", lambda: GPTConfig.tiny(V, dropout=1.0))
case("models", "activation", "unknown", lambda: GPTConfig.tiny(V, activation="swish"))
case("models", "max_len", "bool", lambda: GPTConfig.tiny(V, max_len=True))
case("models", "pad_id", "negative in cbow_examples", lambda: cbow_examples(IDS, window=1, pad_id=-1))

# ------------------------------------------------------------------------- tokenizer
case("tokenizer", "texts", "a single str", lambda: WordTokenizer.train("the cat"))
case("tokenizer", "texts", "None", lambda: tokenizer(None))
case("tokenizer", "texts", "empty list", lambda: tokenizer([]))
case("tokenizer", "text", "bytes", lambda: tokenizer.encode(b"the cat"))
case("tokenizer", "ids", "id outside the vocabulary", lambda: tokenizer.decode([10**6]))
case("tokenizer", "ids", "negative id", lambda: tokenizer.decode([-1]))
case("tokenizer", "ids", "float id", lambda: tokenizer.decode([1.5]))
case("tokenizer", "max_length", "0", lambda: tokenizer(["the cat"], max_length=0))
case("tokenizer", "padding", "'yes'", lambda: tokenizer(["the cat"], padding="yes"))
case("tokenizer", "max_length", "shorter than a text",
     lambda: tokenizer(["the cat sat on the mat"], padding="max_length", max_length=2))
case("tokenizer", "min_freq", "0", lambda: WordTokenizer.train(["a b"], min_freq=0))
case("tokenizer", "max_vocab", "smaller than the special tokens",
     lambda: WordTokenizer.train(["a b"], max_vocab=3))
case("tokenizer", "vocab", "without the special tokens", lambda: WordTokenizer(["a", "b"]))
case("tokenizer", "token", "unknown special token", lambda: tokenizer.token_to_id("[NOPE]"))
case("tokenizer", "k", "sentinel beyond those in the vocabulary", lambda: tokenizer.sentinel_token_id(10**4))
case("tokenizer", "path", "missing file",
     lambda: WordTokenizer.load("no/such/tokenizer.json"), errors=(FileNotFoundError,))
case("tokenizer", "return_tensors", "'tf'", lambda: tokenizer(["the cat"], return_tensors="tf"))

# ---------------------------------------------------------------------- data/batching
case("data/batching", "ids", "2-D", lambda: batching.lm_windows(IDS, block_size=2, batch_size=2))
case("data/batching", "block_size", "as long as ids",
     lambda: batching.lm_windows(ONE, block_size=10, batch_size=2))
case("data/batching", "batch_size", "0", lambda: batching.lm_windows(ONE, block_size=2, batch_size=0))
case("data/batching", "generator", "an int seed",
     lambda: batching.lm_windows(ONE, block_size=2, batch_size=2, generator=1))
case("data/batching", "texts", "a single str", lambda: batching.encode_stream(tokenizer, "the cat"))
case("data/batching", "n_stories", "negative", lambda: corpus.synthetic_corpus(-1))
case("data/batching", "seed", "float", lambda: corpus.synthetic_corpus(3, seed=1.5))
case("data/batching", "n", "str", lambda: tasks.make_sentiment("10"))
case("data/batching", "n_options", "1", lambda: tasks.make_multiple_choice(4, n_options=1))
case("data/batching", "path", "missing file",
     lambda: text.load_text("no/such/file.txt"), errors=(FileNotFoundError,))
case("data/batching", "path", "a folder", lambda: text.load_text("."))
case("data/batching", "sequences", "float ids (silently truncated before)",
     lambda: ft_batching.pad_sequences([[1.7, 2.2]], pad_id=0))
case("data/batching", "sequences", "negative id", lambda: ft_batching.pad_sequences([[1, -3]], pad_id=0))
case("data/batching", "sequences", "empty", lambda: ft_batching.pad_sequences([], pad_id=0))
case("data/batching", "pad_id", "negative", lambda: ft_batching.pad_sequences([[1, 2]], pad_id=-1))
case("data/batching", "max_len", "shorter than a sequence",
     lambda: ft_batching.pad_sequences([[1, 2, 3]], pad_id=0, max_len=2))
case("data/batching", "attention_mask", "a row of padding only",
     lambda: ft_batching.last_token_index(torch.tensor([[1, 1], [0, 0]])))
case("data/batching", "attention_mask", "holds 2 in last_token_index",
     lambda: ft_batching.last_token_index(2 * PAD))
case("data/batching", "attention_mask", "holds 0.5 in last_token_index",
     lambda: ft_batching.last_token_index(0.5 * PAD))
case("data/batching", "batch", "a list in move_to", lambda: move_to([IDS], "cpu"))
case("data/batching", "device", "'gpu0' in move_to", lambda: move_to({"input_ids": IDS}, "gpu0"))
case("data/batching", "labels", "one per example missing",
     lambda: ft_batching.collate([[1, 2], [3]], [0], pad_id=0))

# ----------------------------------------------------------------------------- train
case("train", "steps", "0", lambda: fit(lm_batch, steps=0))
case("train", "steps", "float", lambda: fit(lm_batch, steps=2.0))
case("train", "lr", "negative", lambda: fit(lm_batch, lr=-1e-3))
case("train", "lr", "NaN", lambda: fit(lm_batch, lr=math.nan))
case("train", "grad_clip", "negative (trains uphill)", lambda: fit(lm_batch, grad_clip=-1.0))
case("train", "weight_decay", "negative (trains uphill)", lambda: fit(lm_batch, weight_decay=-0.1))
case("train", "warmup", "negative", lambda: fit(lm_batch, warmup=-1))
case("train", "schedule", "'linear'", lambda: fit(lm_batch, schedule="linear"))
case("train", "optimizer", "an optimizer class", lambda: fit(lm_batch, optimizer=torch.optim.SGD))
# An optimizer left unbuilt: building one imports torch._dynamo (seconds), and train must
# refuse lr before it touches the optimizer at all.
case("train", "lr", "given with optimizer=",
     lambda: fit(lm_batch, lr=1e-3, optimizer=torch.optim.SGD.__new__(torch.optim.SGD)))
case("train", "eval_every", "0", lambda: fit(lm_batch, eval_every=0))
case("train", "batches", "an int", lambda: fit(3))
case("train", "batches", "empty list", lambda: fit([]))
case("train", "max_seconds", "negative", lambda: fit(lm_batch, max_seconds=-1))

# -------------------------------------------------------------------------- generate
case("generate", "max_new_tokens", "negative", lambda: generate(gpt, IDS, -1))
case("generate", "max_new_tokens", "float", lambda: generate(gpt, IDS, 2.5))
case("generate", "input_ids", "float", lambda: generate(gpt, IDS.float(), 2))
case("generate", "input_ids", "longer than max_len", lambda: generate(gpt, torch.randint(5, V, (1, 65)), 2))
case("generate", "temperature", "0 while sampling",
     lambda: generate(gpt, IDS, 2, do_sample=True, temperature=0))
case("generate", "temperature", "NaN", lambda: generate(gpt, IDS, 2, do_sample=True, temperature=math.nan))
case("generate", "top_k", "0", lambda: generate(gpt, IDS, 2, do_sample=True, top_k=0))
case("generate", "top_p", "1.5", lambda: generate(gpt, IDS, 2, do_sample=True, top_p=1.5))
case("generate", "eos_token_id", "outside the vocabulary", lambda: generate(gpt, IDS, 2, eos_token_id=V))
case("generate", "generator", "an int seed", lambda: generate(gpt, IDS, 2, do_sample=True, generator=0))
case("generate", "logits", "1-D", lambda: sample_next(torch.randn(V)))
case("generate", "logits", "NaN, greedy (argmax would pick one)",
     lambda: sample_next(torch.full((2, V), math.nan)))
case("generate", "logits", "NaN, sampling", lambda: sample_next(torch.full((2, V), math.nan), do_sample=True))
case("generate", "start_id", "outside the vocabulary", lambda: to_target(IDS, start_id=V))
case("generate", "attention_mask", "batch 1 for batch 3", lambda: to_target(IDS, attention_mask=PAD[:1]))
case("generate", "max_new_tokens", "0 on seq2seq", lambda: to_target(IDS, max_new_tokens=-2))
case("generate", "ids", "no blank to fill", lambda: fill(ONE))
case("generate", "ids", "2-D", lambda: fill(IDS))
case("generate", "max_span_len", "0", lambda: fill(torch.tensor([5, 4, 6]), max_span_len=0))

# ------------------------------------------------------------------------ checkpoint


def _flipped_checkpoint(tmp):
    path = checkpoint.save_checkpoint(gpt, tmp / "model.safetensors")
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x40  # one bit of the last weight
    path.write_bytes(bytes(data))
    return checkpoint.load_checkpoint(path)


def _garbage_file(tmp):
    path = tmp / "garbage.safetensors"
    path.write_bytes(b"\xff" * 64)
    return checkpoint.load_checkpoint(path)


def _wrong_model(tmp):
    path = checkpoint.save_checkpoint(gpt, tmp / "gpt.safetensors")
    return checkpoint.load_checkpoint(path, GPT(GPTConfig.tiny(V + 1)))


def _surrogate(tmp):
    return checkpoint.save_checkpoint(gpt, tmp / "m.safetensors", extra={"note": "\ud800"})


def reading_a_pipe(load):
    """``load`` given a named pipe: reading one would wait for a writer forever."""
    def call(tmp):
        pipe = tmp / "pipe.safetensors"
        os.mkfifo(pipe)
        return load(pipe)
    return call


def with_tmp(fn):
    """A case that needs a fresh folder (the fixture cannot reach a lambda)."""
    def call():
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            return fn(Path(tmp))
    return call


case("checkpoint", "path", "not .safetensors", lambda: checkpoint.save_checkpoint(gpt, "model.pt"))
case("checkpoint", "extra", "a list", lambda: checkpoint.save_checkpoint(gpt, "m.safetensors", extra=[1]))
case("checkpoint", "model", "no config",
     lambda: checkpoint.save_checkpoint(torch.nn.Linear(2, 2), "m.safetensors"))
case("checkpoint", "extra", "lone surrogate", with_tmp(_surrogate))
case("checkpoint", "path", "missing file",
     lambda: checkpoint.load_checkpoint("no/such.safetensors"), errors=(FileNotFoundError,))
case("checkpoint", "path", "a folder", lambda: checkpoint.load_checkpoint("."))
case("checkpoint", "path", "garbage bytes", with_tmp(_garbage_file))
case("checkpoint", "path", "one flipped bit in a weight", with_tmp(_flipped_checkpoint))
case("checkpoint", "model", "another shape", with_tmp(_wrong_model))
case("checkpoint", "path", "header of a missing file",
     lambda: checkpoint.read_header("no/such.safetensors"), errors=(FileNotFoundError,))
case("checkpoint", "path", "a named pipe", with_tmp(reading_a_pipe(checkpoint.load_checkpoint)))
case("tokenizer", "path", "a named pipe", with_tmp(reading_a_pipe(WordTokenizer.load)))
case("data/batching", "path", "a named pipe", with_tmp(reading_a_pipe(text.load_text)))

# -------------------------------------------------------------------------- finetune
case("finetune", "special", "a list", lambda: formats.classification_ids([5, 6], [1, 2, 3]))
case("finetune", "text", "float ids", lambda: formats.classification_ids([5.5], SPECIAL))
case("finetune", "options", "empty", lambda: formats.multiple_choice_ids([5], [6], [], SPECIAL))
case("finetune", "text", "ids instead of a str", lambda: formats.classification_input(tokenizer, [5, 6]))
case("finetune", "n_classes", "0", lambda: ft_gpt.GPTClassifier(gpt, n_classes=0))
case("finetune", "labels", "class 5 of 2",
     lambda: classifier(IDS, attention_mask=PAD, labels=torch.tensor([0, 1, 5])))
case("finetune", "labels", "float",
     lambda: classifier(IDS, attention_mask=PAD, labels=torch.tensor([0.0, 1, 1])))
case("finetune", "attention_mask", "batch 1 on the classifier",
     lambda: classifier(IDS, attention_mask=PAD[:1]))
case("finetune", "labels", "one per row missing",
     lambda: ft_bert.BertForSequenceClassification(bert, 2)(IDS, labels=torch.tensor([0, 1])))
case("finetune", "n_labels", "bool", lambda: ft_bert.BertForTokenClassification(bert, True))
case("finetune", "labels", "token label 9 of 3",
     lambda: ft_bert.BertForTokenClassification(bert, 3)(IDS, labels=torch.full_like(IDS, 9)))
case("finetune", "start_logits", "different shape from end_logits",
     lambda: ft_bert.best_span(torch.randn(2, 5), torch.randn(2, 4)))
case("finetune", "words", "two-token label word", lambda: cloze.verbaliser_ids(tokenizer, ["the cat"]))
case("finetune", "words", "unknown word", lambda: cloze.verbaliser_ids(tokenizer, ["zebra"]))
case("finetune", "pattern", "no [MASK]",
     lambda: cloze.cloze_batch(tokenizer, ["the cat ."], pattern="{sentence} it was"))
case("finetune", "sentences", "a single str", lambda: cloze.cloze_batch(tokenizer, "the cat ."))
case("finetune", "label_word_ids", "outside the GLM's vocabulary",
     lambda: cloze.ClozeClassifier(glm, torch.tensor([5, V + 6])))
case("finetune", "attention_mask", "batch 1 in answer_positions",
     lambda: bert_tasks.answer_positions(PAD, PAD[:1]))

# ------------------------------------------------------------------------------- viz
case("viz", "mask", "float", lambda: plots.plot_mask(torch.ones(3, 3)))
case("viz", "mask", "3-D", lambda: plots.plot_mask(torch.ones(2, 3, 3, dtype=torch.bool)))
case("viz", "tokens", "wrong count", lambda: plots.plot_mask(masks.causal_mask(3), ["a", "b"]))
case("viz", "highlight_query", "out of range",
     lambda: plots.plot_mask(masks.causal_mask(3), highlight_query=7))
case("viz", "weights", "holds NaN", lambda: plots.plot_attention(torch.full((3, 3), math.nan)))
case("viz", "weights", "negative", lambda: plots.plot_attention(-torch.ones(3, 3)))
case("viz", "masks", "empty dict", lambda: plots.plot_masks({}))
case("viz", "mask", "2048 tokens as SVG (700 MB)", lambda: export.mask_to_svg(masks.causal_mask(2048)))
case("viz", "mask", "int tensor as SVG", lambda: export.mask_to_svg(torch.ones(3, 3, dtype=torch.long)))
case("viz", "dpi", "0", lambda: export.figure_to_png(plots.plot_mask(masks.causal_mask(2)), dpi=0))
case("viz", "kind", "unknown noising", lambda: noise_with_info(ONE, "shuffle", mask_id=4, full_stop_id=3))

# ---------------------------------------------------------------------- course/grade
case("course/grade", "threads", "a str", lambda: course.use_threads("2"))
case("course/grade", "count", "more than total", lambda: evidence.count_phrase(5, 3, "seeds"))
case("course/grade", "values", "empty", lambda: evidence.Spread.of([]))
case("course/grade", "target", "'answers'", lambda: grade.load_target("ex00_warmup", "answers"))
case("course/grade", "seed", "str", lambda: course.setup("0", quiet=True))
case("course/grade", "threads", "0", lambda: course.use_threads(0))

# ---------------------------------------------------------------------------- interop
case("interop", "hf_model", "a minilm model", lambda: from_hf(gpt))
case("interop", "hf_model", "a str", lambda: from_hf("gpt2"))
case("interop", "model", "an unsupported minilm model", lambda: to_hf(glm))
case("interop", "model", "a str", lambda: to_hf("gpt2"))
case("interop", "models", "not a module (evaluating)", lambda: evaluating("gpt").__enter__())


# ----------------------------------------------------------------------------- tests
OUTCOMES: dict[str, str] = {}  # case id -> "clear" or what went wrong


def outcome(c: Case) -> str:
    """'clear' when the call raises one of the expected errors naming the argument."""
    try:
        result = c.call()
    except c.errors as err:
        if not re.search(rf"(?<![\w.]){re.escape(c.argument)}(?!\w)", str(err)):
            return f"{type(err).__name__} without the name {c.argument!r}: {err}"
        return "clear"
    except Exception as err:  # noqa: BLE001 -- any other error is what this suite looks for
        return f"unexpected {type(err).__name__}: {err}"
    return f"no error (returned {type(result).__name__}): a silent answer"


@pytest.mark.timeout(TIME_BOUND_S)
@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_a_clear_error_naming_the_argument(c):
    OUTCOMES[c.id] = result = outcome(c)
    assert result == "clear", result


def test_case_ids_are_unique():
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.timeout(TIME_BOUND_S * 4)
def test_report_by_category():
    """Print how many cases of each category give a clear error naming the argument.

    Cases the parametrized test did not run (with ``-k``, say) are run here."""
    clear, total, unclear = Counter(), Counter(), []
    for c in CASES:
        result = OUTCOMES.get(c.id) or outcome(c)
        total[c.category] += 1
        clear[c.category] += result == "clear"
        if result != "clear":
            unclear.append(f"{c.id}: {result}")
    width = max(map(len, total))
    lines = [f"{'category':<{width}}  clear / cases"]
    lines += [f"{cat:<{width}}  {clear[cat]:>5} / {total[cat]}" for cat in total]
    lines.append(f"{'total':<{width}}  {sum(clear.values()):>5} / {sum(total.values())}")
    print("\nBad inputs that give a clear error naming the argument\n" + "\n".join(lines))
    assert sum(total.values()) >= 150
    assert not unclear, "\n".join(unclear)
