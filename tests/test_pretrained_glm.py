"""The cached pretrained GLM: its batches, training that lowers the loss, and the cache."""

import dataclasses

import pytest
import torch

import minilm.pretrained_glm as pretrained_glm_module
from minilm.checkpoint import load_checkpoint
from minilm.pretrained import course_corpus
from minilm.pretrained_glm import GLMRecipe, checkpoint_name, glm_batch, pretrained_glm, story_sentences

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


def test_the_model_is_on_the_device_asked_for_trained_or_loaded(tmp_path):
    path = tmp_path / "glm.safetensors"
    short = dataclasses.replace(TINY, steps=3)
    trained = pretrained_glm(short, path=path, progress=False, device="cpu")
    assert trained.trained_now and {p.device for p in trained.model.parameters()} == {torch.device("cpu")}
    ids = torch.tensor([[5, 6, 7]])
    out = trained.model(ids, torch.zeros(1, 2, 3, dtype=torch.long), 2)
    assert out.logits.device == torch.device("cpu")
    # Loaded from the cache (read onto the CPU), then moved: "meta" shows the move without computing.
    loaded = pretrained_glm(short, path=path, progress=False, device="meta")
    assert not loaded.trained_now
    assert {p.device for p in loaded.model.parameters()} == {torch.device("meta")}
    with pytest.raises(ValueError, match="device"):
        pretrained_glm(short, path=path, progress=False, device="no such device")


def test_without_a_device_it_uses_the_default_device(tmp_path, monkeypatch):
    path = tmp_path / "glm.safetensors"
    short = dataclasses.replace(TINY, steps=3)
    pretrained_glm(short, path=path, progress=False, device="cpu")
    import minilm.device  # where chosen_device, used by the GPT and GLM loaders, finds the default

    monkeypatch.setattr(minilm.device, "default_device", lambda: torch.device("meta"))
    loaded = pretrained_glm(short, path=path, progress=False)
    assert {p.device for p in loaded.model.parameters()} == {torch.device("meta")}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_cache_written_on_the_gpu_loads_on_the_cpu(tmp_path):
    path = tmp_path / "glm.safetensors"
    short = dataclasses.replace(TINY, steps=3)
    on_gpu = pretrained_glm(short, path=path, progress=False, device="cuda")
    assert on_gpu.trained_now and next(on_gpu.model.parameters()).is_cuda
    model, _, _ = load_checkpoint(path)  # onto the CPU
    for name, weights in on_gpu.model.state_dict().items():
        torch.testing.assert_close(model.state_dict()[name], weights.cpu(), msg=name)
    on_cpu = pretrained_glm(short, path=path, progress=False, device="cpu")
    assert not on_cpu.trained_now and next(on_cpu.model.parameters()).device == torch.device("cpu")


def test_the_fast_recipe_has_its_own_cache_file(monkeypatch):
    # A MINILM_FAST=1 run must not replace the full model's cache (and the other way round).
    paths = []

    def record_path(recipe, path, **_):
        paths.append(path.name)
        raise StopIteration  # the path is all this test needs

    monkeypatch.setattr(pretrained_glm_module, "load_or_pretrain", record_path)
    for recipe in (GLMRecipe.fast(), GLMRecipe()):
        with pytest.raises(StopIteration):
            pretrained_glm(recipe, device="cpu")
    assert paths == [checkpoint_name(GLMRecipe.fast()), checkpoint_name(GLMRecipe())]
    assert paths[0] != paths[1]
