"""minilm.pretrained: the get-or-train cache that notebooks 03 and 04 and the tests share."""

import dataclasses

import pytest
import torch

from minilm.checkpoint import read_header
from minilm.pretrained import (
    PretrainRecipe,
    course_corpus,
    default_recipe,
    heldout_batches,
    lm_batch,
    pretrained_gpt,
    story_stream,
)

TINY = PretrainRecipe(n_stories=120, heldout=20, max_len=16, d_model=16, n_heads=2, batch_size=4, steps=3,
                      warmup=1)


@pytest.fixture(scope="module")
def corpus():
    return course_corpus(TINY)


def test_corpus_split_and_story_framing(corpus):
    assert len(corpus.train_texts) == 100 and len(corpus.heldout_texts) == 20
    tok = corpus.tokenizer
    stream = story_stream(tok, corpus.train_texts[:2])
    first = [tok.bos_token_id, *tok.encode(corpus.train_texts[0]), tok.eos_token_id]
    assert stream[: len(first)].tolist() == first  # <s> story <e> <s> story <e>
    assert stream[len(first)] == tok.bos_token_id and stream[-1] == tok.eos_token_id
    assert (corpus.train_ids == tok.bos_token_id).sum() == 100


def test_unigram_entropy_by_hand():
    from minilm.pretrained import CourseCorpus

    c = CourseCorpus([], [], None, torch.tensor([1, 1, 2, 3]), torch.tensor([1]))
    c.tokenizer = type("T", (), {"vocab_size": 5})()
    p = torch.tensor([0.5, 0.25, 0.25])
    assert c.unigram_entropy() == pytest.approx(float(-(p * p.log()).sum()))


def test_lm_batch_labels_are_next_tokens(corpus):
    b = lm_batch(corpus.train_ids, max_len=16, batch_size=3, generator=torch.Generator().manual_seed(0))
    assert b["input_ids"].shape == (3, 16)
    assert torch.equal(b["labels"][:, :-1], b["input_ids"][:, 1:]) and (b["labels"][:, -1] == -100).all()
    fixed = heldout_batches(corpus.heldout_ids, max_len=16, n_windows=6, batch_size=4)
    assert [x["input_ids"].shape[0] for x in fixed] == [4, 2]
    again = heldout_batches(corpus.heldout_ids, max_len=16, n_windows=6, batch_size=4)
    assert all(torch.equal(a["input_ids"], b["input_ids"]) for a, b in zip(fixed, again, strict=True))


def test_pretrained_gpt_trains_once_then_loads_the_same_model(tmp_path):
    path = tmp_path / "gpt.safetensors"
    first = pretrained_gpt(TINY, path=path, progress=False)
    assert first.trained_now and path.is_file()
    assert read_header(path)["extra"]["recipe"] == dataclasses.asdict(TINY)
    second = pretrained_gpt(TINY, path=path, progress=False)
    assert not second.trained_now
    ids = torch.randint(0, second.tokenizer.vocab_size, (2, 10), generator=torch.Generator().manual_seed(0))
    assert torch.equal(first.model(ids).logits, second.model(ids).logits)
    assert second.tokenizer.vocab == first.tokenizer.vocab
    assert second.history_object().eval_loss == pytest.approx(first.history["eval_loss"])


def test_another_recipe_or_a_damaged_file_means_training_again(tmp_path):
    path = tmp_path / "gpt.safetensors"
    pretrained_gpt(TINY, path=path, progress=False)
    other = dataclasses.replace(TINY, steps=4)
    assert pretrained_gpt(other, path=path, progress=False).trained_now
    assert read_header(path)["extra"]["recipe"]["steps"] == 4
    path.write_bytes(b"not a checkpoint")
    assert pretrained_gpt(other, path=path, progress=False).trained_now
    assert not pretrained_gpt(other, path=path, progress=False).trained_now
    assert pretrained_gpt(other, path=path, retrain=True, progress=False).trained_now


def test_training_is_reproducible_and_leaves_the_thread_count_alone(tmp_path):
    threads = torch.get_num_threads()
    a = pretrained_gpt(TINY, path=tmp_path / "a.safetensors", progress=False)
    b = pretrained_gpt(TINY, path=tmp_path / "b.safetensors", progress=False)
    assert torch.get_num_threads() == threads
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_default_recipe_follows_fast_mode():
    from minilm import course

    assert default_recipe() == (PretrainRecipe.fast() if course.FAST else PretrainRecipe())
    assert PretrainRecipe.fast().steps < PretrainRecipe().steps


def test_the_fast_recipe_has_its_own_cache_file(monkeypatch):
    # A MINILM_FAST=1 run must not replace the full model's cache (and the other way round).
    import minilm.pretrained as pretrained_module

    paths = []

    def record_path(recipe, path, **_):
        paths.append(path.name)
        raise StopIteration  # the path is all this test needs

    monkeypatch.setattr(pretrained_module, "load_or_pretrain", record_path)
    for recipe in (pretrained_module.PretrainRecipe.fast(), pretrained_module.PretrainRecipe()):
        with pytest.raises(StopIteration):
            pretrained_module.pretrained_gpt(recipe, device="cpu")
    assert paths[0] != paths[1] and paths[1] == "gpt_pretrained.safetensors"
