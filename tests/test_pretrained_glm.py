"""The cached pretrained GLM: its batches, training that lowers the loss, and the cache."""

import dataclasses

import pytest
import torch

from minilm.pretrained import course_corpus
from minilm.pretrained_glm import GLMRecipe, glm_batch, pretrained_glm, story_sentences

TINY = GLMRecipe(n_stories=80, heldout=10, d_model=32, n_heads=2, batch_size=8, steps=60, warmup=5)


@pytest.fixture(scope="module")
def corpus():
    return course_corpus(TINY.corpus_recipe())


def test_batches_are_glm_examples_of_one_or_two_sentences(corpus):
    tok = corpus.tokenizer
    stories = story_sentences(corpus.train_texts, tok)
    recipe = dataclasses.replace(TINY, batch_size=64)
    batch = glm_batch(stories, tok, recipe, torch.Generator().manual_seed(0))
    B, T = batch["input_ids"].shape
    assert B == 64
    assert recipe.max_len >= T
    assert batch["position_ids"].shape == (B, 2, T)
    full_stops = tok.token_to_id(".")
    for row, sep, real in zip(batch["input_ids"], batch["sep"], batch["attention_mask"].sum(1), strict=True):
        assert tok.span_start_token_id == int(row[sep]), "Part B starts with [S]"
        n_stops = int((row[:real] == full_stops).sum())
        assert n_stops <= recipe.max_sentences
    # Both objectives occur: document-level samples have exactly one span at the end of Part A.
    one_span_at_end = [(batch["input_ids"][i, : batch["sep"][i]] == tok.mask_token_id).sum() == 1
                       and batch["input_ids"][i, batch["sep"][i] - 1] == tok.mask_token_id for i in range(B)]
    assert 0 < sum(one_span_at_end) < B


def test_pretraining_lowers_the_held_out_loss_and_the_cache_reloads_it(tmp_path):
    path = tmp_path / "glm.safetensors"
    first = pretrained_glm(TINY, path=path, progress=False)
    assert first.trained_now and path.is_file()
    losses = first.history["eval_loss"]
    # over seeds 0-4, 1 thread: held-out loss falls 0.96-1.08
    assert losses[-1] < losses[0] - 0.5  # about 1 nat in 60 steps (seeded)
    again = pretrained_glm(TINY, path=path, progress=False)
    assert not again.trained_now
    loaded = again.model.state_dict()
    for name, weights in first.model.state_dict().items():
        assert torch.equal(weights, loaded[name]), name
    assert again.tokenizer.vocab == first.tokenizer.vocab
    assert again.history_object().eval_loss == losses


def test_another_recipe_or_a_broken_file_trains_again(tmp_path):
    path = tmp_path / "glm.safetensors"
    short = dataclasses.replace(TINY, steps=3)
    pretrained_glm(short, path=path, progress=False)
    assert pretrained_glm(dataclasses.replace(short, seed=1), path=path, progress=False).trained_now
    path.write_bytes(b"not a checkpoint")
    assert pretrained_glm(short, path=path, progress=False).trained_now


def test_bad_recipe():
    with pytest.raises(TypeError, match="recipe"):
        pretrained_glm({"steps": 3})
