"""Checkpoints: a save/load round trip changes nothing, writes are atomic, and a wrong or
damaged file is a clear ValueError, never a silent half-load."""

import json

import pytest
import torch
from safetensors.torch import save_file

import minilm.checkpoint as checkpoint
from minilm.checkpoint import load_checkpoint, read_header, save_checkpoint
from minilm.models import GPT, GPTConfig
from minilm.tokenizer import WordTokenizer


def make_gpt(seed=0, **overrides):
    torch.manual_seed(seed)
    return GPT(GPTConfig.tiny(40, max_len=16, **overrides)).eval()


@pytest.fixture
def ids():
    return torch.randint(0, 40, (2, 9), generator=torch.Generator().manual_seed(0))


def test_round_trip_rebuilds_the_model_with_identical_logits(tmp_path, ids):
    model = make_gpt()
    tok = WordTokenizer.train(["Anna has a red cat. The cat sleeps."])
    path = save_checkpoint(model, tmp_path / "gpt.safetensors", tokenizer=tok,
                           extra={"steps": 7, "note": "tiny"})
    loaded, loaded_tok, extra = load_checkpoint(path)
    assert type(loaded) is GPT and loaded.config == model.config
    assert torch.equal(loaded.eval()(ids).logits, model(ids).logits)
    assert extra == {"steps": 7, "note": "tiny"}
    assert loaded_tok.vocab == tok.vocab
    assert loaded_tok.encode("the red cat.") == tok.encode("the red cat.")
    # the tie survives the round trip: one matrix, not two copies
    assert loaded.lm_head.weight.data_ptr() == loaded.embed.token.weight.data_ptr()


def test_loading_into_an_existing_model_replaces_its_weights(tmp_path, ids):
    trained, other = make_gpt(seed=0), make_gpt(seed=1)
    assert not torch.equal(trained(ids).logits, other(ids).logits)
    save_checkpoint(trained, tmp_path / "a.safetensors")
    loaded, tok, extra = load_checkpoint(tmp_path / "a.safetensors", model=other)
    assert loaded is other and tok is None and extra == {}
    assert torch.equal(other(ids).logits, trained(ids).logits)


def test_untied_model_round_trips(tmp_path, ids):
    model = make_gpt(tie_embeddings=False)
    save_checkpoint(model, tmp_path / "u.safetensors")
    loaded, _, _ = load_checkpoint(tmp_path / "u.safetensors")
    assert torch.equal(loaded.eval()(ids).logits, model(ids).logits)


def test_save_leaves_only_the_checkpoint_behind(tmp_path):
    save_checkpoint(make_gpt(), tmp_path / "sub" / "gpt.safetensors")  # makes the folder too
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["gpt.safetensors"]
    save_checkpoint(make_gpt(seed=1), tmp_path / "sub" / "gpt.safetensors")  # overwrite
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["gpt.safetensors"]


def test_a_crash_while_saving_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch, ids):
    old = make_gpt(seed=0)
    path = save_checkpoint(old, tmp_path / "gpt.safetensors")
    before = path.read_bytes()

    def crash(model, filename, metadata=None):
        with open(filename, "wb") as f:
            f.write(b"half a file")  # the crash happens mid-write
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "save_model", crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(make_gpt(seed=1), path)
    assert [p.name for p in tmp_path.iterdir()] == ["gpt.safetensors"]
    assert path.read_bytes() == before
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)[0].eval()(ids).logits, old(ids).logits)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_file_is_a_clear_value_error(tmp_path, damage):
    path = save_checkpoint(make_gpt(), tmp_path / "gpt.safetensors")
    data = path.read_bytes()
    path.write_bytes({"garbage": b"\x00not a checkpoint" * 10, "truncated": data[: len(data) // 2],
                      "empty": b""}[damage])
    with pytest.raises(ValueError, match="corrupt|not a readable|does not fit"):
        load_checkpoint(path)


def test_safetensors_file_that_is_not_a_minilm_checkpoint(tmp_path):
    path = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(path))
    with pytest.raises(ValueError, match="not a minilm checkpoint"):
        read_header(path)


def test_model_of_another_size_is_a_clear_value_error(tmp_path):
    path = save_checkpoint(make_gpt(), tmp_path / "gpt.safetensors")
    with pytest.raises(ValueError, match="does not fit"):
        load_checkpoint(path, model=make_gpt(d_model=32))
    with pytest.raises(ValueError, match="does not fit"):
        load_checkpoint(path, model=make_gpt(n_layers=3))


def test_model_of_another_class_is_a_clear_value_error(tmp_path):
    class NotGPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.config = GPTConfig.tiny(40)

    path = save_checkpoint(make_gpt(), tmp_path / "gpt.safetensors")
    with pytest.raises(ValueError, match="holds a GPT"):
        load_checkpoint(path, model=NotGPT())


def test_header_records_class_config_and_extra(tmp_path):
    model = make_gpt()
    header = read_header(save_checkpoint(model, tmp_path / "gpt.safetensors", extra={"a": [1, 2]}))
    assert header["model"] == "GPT" and header["config_class"] == "GPTConfig"
    assert header["config"]["d_model"] == 64 and header["extra"] == {"a": [1, 2]}
    json.dumps(header)  # plain JSON all the way down


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=".safetensors"):
        save_checkpoint(make_gpt(), tmp_path / "gpt.pt")
    with pytest.raises(TypeError, match="config"):
        save_checkpoint(torch.nn.Linear(2, 2), tmp_path / "lin.safetensors")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.safetensors")
