"""Checkpoints: a save/load round trip changes nothing, writes are atomic, and a wrong or
damaged file is a clear ValueError, never a silent half-load."""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import save_file

import minilm.atomic as atomic
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


# ---- damage, crafted headers and interrupted saves -----------------------------------------

def small_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = GPT(GPTConfig.tiny(12, d_model=8, n_heads=2, n_layers=1, max_len=8))
    tok = WordTokenizer.train(["Anna has a cat."])
    return save_checkpoint(model, tmp_path / "small.safetensors", tokenizer=tok, extra={"step": 3})


def header_length(data: bytes) -> int:
    return 8 + int.from_bytes(data[:8], "little")


def test_every_flipped_byte_of_the_header_and_200_in_the_data_are_rejected(tmp_path):
    """Covered: every byte of the length prefix and header (JSON, metadata, checksums, the
    space padding), plus 200 random bytes of the tensor data, each changed to a random other
    value in its own copy of the file. Before the checksums, a flipped weight loaded silently."""
    path = small_checkpoint(tmp_path)
    good = path.read_bytes()
    gen = torch.Generator().manual_seed(0)
    head = header_length(good)
    data_offsets = torch.randint(head, len(good), (200,), generator=gen).tolist()
    accepted = []
    with open(path, "r+b") as f:
        for offset in [*range(head), *data_offsets]:  # one byte changed at a time, then put back
            f.seek(offset)
            f.write(bytes([good[offset] ^ int(torch.randint(1, 256, (1,), generator=gen))]))
            f.flush()
            try:
                load_checkpoint(path)
            except ValueError:
                pass
            else:
                accepted.append(offset)
            f.seek(offset)
            f.write(good[offset:offset + 1])
            f.flush()
    assert accepted == []
    assert path.read_bytes() == good
    load_checkpoint(path)  # the undamaged file still loads


def test_damaged_weights_name_the_file_and_the_problem(tmp_path):
    path = small_checkpoint(tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x40  # the sign/exponent byte region of the last float
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"small\.safetensors.*tensor data does not match the checksum"):
        load_checkpoint(path)
    read_header(path)  # the header itself is intact


def test_file_is_still_a_plain_safetensors_file(tmp_path):
    from safetensors import safe_open

    path = small_checkpoint(tmp_path)
    model, _, _ = load_checkpoint(path)
    with safe_open(str(path), framework="pt") as f:
        assert {"minilm", checkpoint.HEADER_SUM, checkpoint.DATA_SUM} <= set(f.metadata())
        assert torch.equal(f.get_tensor("embed.token.weight"), model.embed.token.weight)


def craft(path, header, *, tensors=None, raw_minilm=None):
    """A checkpoint with a hand-made minilm header and valid checksums (so that only the
    header's content can be wrong)."""
    minilm = raw_minilm if raw_minilm is not None else json.dumps(header)
    metadata = {"minilm": minilm, checkpoint.HEADER_SUM: "0" * 64, checkpoint.DATA_SUM: "0" * 64}
    save_file(tensors or {"w": torch.zeros(4)}, str(path), metadata=metadata)
    checkpoint._fill_in_checksums(str(path))
    return path


def good_header():
    config = GPTConfig.tiny(12, d_model=8, n_heads=2, n_layers=1, max_len=8)
    return {"format": checkpoint.FORMAT, "model": "GPT", "config_class": "GPTConfig",
            "config": dataclasses.asdict(config), "tokenizer": None, "extra": {}}


def edited(**changes):
    header = good_header()
    for key, value in changes.items():
        if value is DROP:
            del header[key]
        else:
            header[key] = value
    return header


DROP = object()


@pytest.mark.parametrize("header, raw, match", [
    (None, "{not json", "minilm header is not valid JSON"),
    (None, "[1, 2]", "minilm header is not a JSON object"),
    (edited(config=DROP), None, "header has no 'config'"),
    (edited(extra=[1]), None, "header 'extra' is a list"),
    (edited(model=None), None, "header 'model' is a NoneType"),
    (edited(format="minilm-checkpoint-v9"), None, "has format 'minilm-checkpoint-v9'"),
    (edited(model="Path"), None, "only minilm's models can be rebuilt"),
    (edited(model="__class__"), None, "only minilm's models can be rebuilt"),
    (edited(config_class="count_parameters"), None, "only minilm's models can be rebuilt"),
    (edited(config={"vocab": 3}), None, "config that does not build a GPT"),
    # 10**7 tokens x 64 dims of float32 is 2.56 GB, under the config's own size limit
    # (MAX_TENSOR_ELEMENTS) yet far more than the file holds: refused from the meta-device size alone
    (edited(config={**good_header()["config"], "vocab_size": 10**7, "d_model": 64}), None,
     r"describes a GPT of 2[0-9,]+ MiB but holds only 0.0 MiB"),
])
def test_crafted_headers_are_clear_errors_naming_the_file(tmp_path, header, raw, match):
    path = craft(tmp_path / "crafted.safetensors", header, raw_minilm=raw)
    with pytest.raises(ValueError, match=match) as info:
        load_checkpoint(path)
    assert "crafted.safetensors" in str(info.value)


def test_sizes_in_the_safetensors_header_are_checked_against_the_file(tmp_path):
    path = small_checkpoint(tmp_path)
    data = path.read_bytes()
    path.write_bytes((20 * 2**30).to_bytes(8, "little") + data[8:])  # "a 20 GB header"
    with pytest.raises(ValueError, match="declares a 21474836480-byte header in a"):
        load_checkpoint(path)
    path = craft(tmp_path / "offsets.safetensors", good_header())
    raw = path.read_bytes()
    head = header_length(raw)
    table = json.loads(raw[8:head])
    table["w"]["data_offsets"] = [0, 20 * 2**30]
    table["w"]["shape"] = [5 * 2**30]
    table["__metadata__"].update({checkpoint.HEADER_SUM: "0" * 64, checkpoint.DATA_SUM: "0" * 64})
    text = json.dumps(table, separators=(",", ":")).encode()
    path.write_bytes(len(text).to_bytes(8, "little") + text + raw[head:])
    checkpoint._fill_in_checksums(str(path))  # the checksums agree: only the sizes are wrong
    with pytest.raises(ValueError, match="tensor 'w' does not lie inside the file's 16 bytes"):
        read_header(path)


def test_a_checkpoint_of_the_older_format_asks_to_be_saved_again(tmp_path):
    path = tmp_path / "old.safetensors"
    save_file({"w": torch.zeros(2)}, str(path), metadata={"minilm": json.dumps(
        {**good_header(), "format": "minilm-checkpoint-v1"})})
    with pytest.raises(ValueError, match="older minilm .*save it again"):
        load_checkpoint(path)


@pytest.mark.parametrize("where", ["save_model", "checksums", "fsync", "interrupt"])
def test_a_failure_anywhere_in_a_save_leaves_the_old_file_and_no_temp_file(tmp_path, monkeypatch, where):
    path = save_checkpoint(make_gpt(seed=0), tmp_path / "gpt.safetensors")
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt if where == "interrupt" else OSError("disk full")

    if where == "save_model":
        real = checkpoint.save_model

        def fail_after_writing(model, filename, metadata=None):
            real(model, filename, metadata=metadata)  # the whole file is there, then it fails
            fail()

        monkeypatch.setattr(checkpoint, "save_model", fail_after_writing)
    elif where == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", fail)
    else:
        monkeypatch.setattr(checkpoint, "_fill_in_checksums", fail)
    with pytest.raises((OSError, KeyboardInterrupt)):
        save_checkpoint(make_gpt(seed=1), path)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["gpt.safetensors"]
    assert path.read_bytes() == before


def test_save_syncs_the_file_before_renaming_it(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = atomic.os.fsync, atomic.os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: calls.append("replace") or real_replace(a, b))
    save_checkpoint(make_gpt(), tmp_path / "gpt.safetensors")
    assert calls[:2] == ["fsync", "replace"]


def test_lone_surrogates_are_refused_by_both_savers_naming_the_field(tmp_path):
    with pytest.raises(ValueError, match=r"extra\['note'\] holds a lone surrogate '\\ud800'"):
        save_checkpoint(make_gpt(), tmp_path / "gpt.safetensors", extra={"note": "ok \ud800"})
    tok = WordTokenizer.train(["Anna \ud800 runs."])
    with pytest.raises(ValueError, match=r"tokenizer\['vocab'\]\[\d+\] holds a lone surrogate"):
        save_checkpoint(make_gpt(), tmp_path / "gpt.safetensors", tokenizer=tok)
    with pytest.raises(ValueError, match=r"tokenizer vocab\[\d+\] holds a lone surrogate"):
        tok.save(tmp_path / "tok.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_temp_file_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "gpt.safetensors"
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, minilm.checkpoint as c\n"
        "from minilm.models import GPT, GPTConfig\n"
        "def die(model, filename, metadata=None):\n"
        "    open(filename, 'wb').write(b'half a file')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "c.save_model = die\n"
        f"c.save_checkpoint(GPT(GPTConfig.tiny(20)), {str(path)!r})\n")],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert killed.returncode == -signal.SIGKILL
    (orphan,) = tmp_path.iterdir()  # no Python ran after the kill: nothing could clean up
    assert orphan.name.startswith(".gpt.safetensors.") and orphan.suffix == ".tmp"
    young = tmp_path / ".gpt.safetensors.young.tmp"  # maybe a save still running elsewhere
    young.write_bytes(b"")
    old = time.time() - atomic.STALE_SECONDS - 1
    os.utime(orphan, (old, old))
    save_checkpoint(make_gpt(), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [young.name, path.name]
