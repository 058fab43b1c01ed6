"""Tests of minilm.tokenizer: fixed special ids, splitting, round trips, batches, files."""

from __future__ import annotations

import doctest
import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from minilm import tokenizer as tokenizer_module
from minilm.tokenizer import (
    SPECIAL_TOKENS,
    CharTokenizer,
    Tokenizer,
    WordTokenizer,
    special_tokens,
)

N_SPECIAL = len(SPECIAL_TOKENS) + 8  # ten fixed specials + eight T5 sentinels by default


@pytest.fixture
def tok() -> WordTokenizer:
    return WordTokenizer.train(["Anna lives in Paris. Ben lives in Rome!", "Anna runs."])


# ---- special tokens ---------------------------------------------------------------------
def test_special_token_ids_are_fixed(tok):
    assert tok.convert_tokens_to_ids("[PAD]") == tok.pad_token_id == 0
    assert tok.unk_token_id == 1
    assert (tok.cls_token_id, tok.sep_token_id, tok.mask_token_id) == (2, 3, 4)
    assert (tok.bos_token_id, tok.delim_token_id, tok.eos_token_id) == (5, 6, 7)
    assert (tok.span_start_token_id, tok.span_end_token_id) == (8, 9)
    assert tok.sentinel_token_id(0) == 10 and tok.sentinel_token_id(7) == 17
    assert tok.special_token_ids == tuple(range(N_SPECIAL))
    assert tok.vocab[:N_SPECIAL] == special_tokens(8)
    assert tok.convert_ids_to_tokens(4) == "[MASK]"


def test_sentinel_count_is_configurable():
    tok = WordTokenizer.train(["a b"], n_sentinels=3)
    assert tok.n_sentinels == 3
    assert tok.vocab[10:13] == ("<extra_id_0>", "<extra_id_1>", "<extra_id_2>")
    assert tok.vocab[13:] == ("a", "b")
    assert WordTokenizer.train(["a"], n_sentinels=0).vocab == (*SPECIAL_TOKENS, "a")


def test_learned_vocab_sorted_by_frequency_then_alphabet():
    tok = WordTokenizer.train(["b a b c c c", "z y"])
    # c x3, b x2, then a, y, z once each (ties alphabetical)
    assert tok.vocab[N_SPECIAL:] == ("c", "b", "a", "y", "z")
    assert len(tok) == tok.vocab_size == N_SPECIAL + 5
    shuffled = WordTokenizer.train(["z y", "b a b c c c"])
    assert shuffled.vocab == tok.vocab  # the order of the texts does not change the ids


def test_min_freq_and_max_vocab():
    texts = ["a a a b b c"]
    assert WordTokenizer.train(texts, min_freq=2).vocab[N_SPECIAL:] == ("a", "b")
    capped = WordTokenizer.train(texts, max_vocab=N_SPECIAL + 1)
    assert capped.vocab[N_SPECIAL:] == ("a",) and len(capped) == N_SPECIAL + 1
    assert capped.encode("c") == [capped.unk_token_id]


def test_base_class_train_gives_word_tokenizer():
    assert type(Tokenizer.train(["Anna runs."])) is WordTokenizer


# ---- splitting and round trips ----------------------------------------------------------
def test_word_tokenize_lowercases_and_splits_punctuation(tok):
    assert tok.tokenize("Anna runs.") == ["anna", "runs", "."]
    assert tok.tokenize("Hello,  WORLD!\n") == ["hello", ",", "world", "!"]
    assert tok.tokenize("") == []


def test_special_tokens_in_text_stay_whole(tok):
    assert tok.tokenize("[CLS] Anna [MASK]. <extra_id_2>") == [
        "[CLS]", "anna", "[MASK]", ".", "<extra_id_2>"]
    assert tok.encode("<s> Anna $ Ben <e>") == [5, tok.token_to_id("anna"), 6,
                                                tok.token_to_id("ben"), 7]


def test_encode_hand_worked(tok):
    anna, runs, stop = (tok.token_to_id(t) for t in ("anna", "runs", "."))
    assert tok.encode("Anna runs.") == [anna, runs, stop]
    assert tok.encode("Anna runs.", add_special_tokens=True) == [2, anna, runs, stop, 3]
    assert tok.encode("Anna swims.") == [anna, 1, stop]  # unknown word -> [UNK]


def test_word_decode(tok):
    ids = tok.encode("Anna runs. Ben lives in Rome!", add_special_tokens=True)
    assert tok.decode(ids) == "[CLS] anna runs. ben lives in rome! [SEP]"
    assert tok.decode(ids, skip_special_tokens=True) == "anna runs. ben lives in rome!"
    assert tok.decode(torch.tensor(ids)) == tok.decode(ids)
    assert tok.batch_decode(torch.tensor([ids, ids])) == [tok.decode(ids)] * 2


def test_word_round_trip_with_punctuation_and_contractions():
    text = "Anna's dog, Rex, barks!  Does   it? Yes; it does."
    tok = WordTokenizer.train([text])
    assert tok.decode(tok.encode(text)) == "anna's dog, rex, barks! does it? yes; it does."


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


words = st.text(alphabet="abcXYZ09", min_size=1, max_size=6)
punctuation = st.sampled_from(["", "", ".", ",", "!", "?", ";"])
spaces = st.sampled_from([" ", "  ", "\n", "\t "])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(words, punctuation, spaces), min_size=1, max_size=12))
def test_word_round_trip_property(parts):
    text = "".join(word + mark + space for word, mark, space in parts)
    tok = WordTokenizer.train([text])
    assert tok.decode(tok.encode(text)) == normalised(text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abcXYZ .,!?'\n$[]<>", max_size=60))
def test_char_round_trip_is_exact(text):
    tok = CharTokenizer.train(["abcXYZ .,!?'\n[]<>"])
    assert tok.decode(tok.encode(text)) == text


def test_char_tokenizer_keeps_case():
    tok = CharTokenizer.train(["Ab ab"])
    assert tok.tokenize("Ab.") == ["A", "b", "."]
    assert tok.vocab[N_SPECIAL:] == ("b", " ", "A", "a")
    assert tok.decode(tok.encode("ba A")) == "ba A"


# ---- batches ----------------------------------------------------------------------------
def test_batch_pads_right_with_attention_mask(tok):
    batch = tok(["Anna runs.", "Ben lives in Rome!"])
    assert batch["input_ids"].shape == batch["attention_mask"].shape == (2, 5)
    assert batch["input_ids"].dtype == batch["attention_mask"].dtype == torch.long
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert batch["input_ids"][0].tolist() == tok.encode("Anna runs.") + [0, 0]


def test_batch_special_tokens_max_length_and_truncation(tok):
    batch = tok(["Anna runs."], add_special_tokens=True, padding="max_length", max_length=8)
    assert batch["input_ids"][0].tolist() == tok.encode("Anna runs.", add_special_tokens=True) \
        + [0, 0, 0]
    assert batch["attention_mask"].sum().item() == 5
    cut = tok("Ben lives in Rome!", add_special_tokens=True, max_length=4, truncation=True)
    assert cut["input_ids"].tolist() == [[2, tok.token_to_id("ben"), tok.token_to_id("lives"), 3]]


def test_batch_single_string_and_lists(tok):
    assert tok("Anna runs.")["input_ids"].shape == (1, 3)
    as_list = tok("Anna runs.", return_tensors=None)
    assert as_list == {"input_ids": tok.encode("Anna runs."), "attention_mask": [1, 1, 1]}
    ragged = tok(["Anna", "Anna runs."], padding=False, return_tensors=None)
    assert ragged["attention_mask"] == [[1], [1, 1, 1]]


# ---- files ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [WordTokenizer, CharTokenizer])
def test_save_load_round_trip(tmp_path, cls):
    tok = cls.train(["Anna lives in Paris.", "Ben runs!"], n_sentinels=4)
    path = tok.save(tmp_path / "tok.json")
    assert [p.name for p in tmp_path.iterdir()] == ["tok.json"]  # no temp file left behind
    assert json.loads(path.read_text())["kind"] == cls.kind
    loaded = Tokenizer.load(path)
    assert type(loaded) is cls
    assert loaded.vocab == tok.vocab and loaded.lowercase == tok.lowercase
    assert loaded.n_sentinels == 4
    assert loaded.encode("Anna runs.") == tok.encode("Anna runs.")
    assert cls.load(str(path)).vocab == tok.vocab
    assert Tokenizer.from_dict(json.loads(json.dumps(tok.to_dict()))).vocab == tok.vocab


def test_load_rejects_other_files(tmp_path):
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"format": "minilm-tok')
    with pytest.raises(ValueError, match="not a minilm tokenizer"):
        Tokenizer.load(corrupt)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"vocab": ["a"]}))
    with pytest.raises(ValueError, match="not a minilm tokenizer"):
        Tokenizer.load(other)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "minilm-tokenizer", "kind": "word",
                                  "lowercase": True, "vocab": ["a", "b"]}))
    with pytest.raises(ValueError, match="vocab must start with the special tokens"):
        Tokenizer.load(broken)
    char_file = CharTokenizer.train(["ab"]).save(tmp_path / "char.json")
    with pytest.raises(ValueError, match="'char' tokenizer"):
        WordTokenizer.load(char_file)
    with pytest.raises(FileNotFoundError, match="path"):
        Tokenizer.load(tmp_path / "missing.json")


# ---- bad input: the error names the argument ---------------------------------------------
def test_texts_must_be_str_or_list_of_str(tok):
    with pytest.raises(TypeError, match="texts"):
        tok(42)
    with pytest.raises(TypeError, match="texts"):
        tok(["ok", 3])
    with pytest.raises(ValueError, match="texts"):
        tok([])


def test_too_long_without_truncation_names_max_length(tok):
    with pytest.raises(ValueError, match="max_length"):
        tok(["Ben lives in Rome!"], max_length=3)
    with pytest.raises(ValueError, match="max_length"):
        tok(["Anna"], padding="max_length")
    with pytest.raises(ValueError, match="max_length"):
        tok(["Anna"], max_length=1, add_special_tokens=True, truncation=True)


def test_decode_rejects_ids_out_of_range(tok):
    with pytest.raises(ValueError, match="ids"):
        tok.decode([0, len(tok)])
    with pytest.raises(ValueError, match="ids"):
        tok.decode([-1])
    with pytest.raises(ValueError, match="ids"):
        tok.decode(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="ids"):
        tok.decode(torch.zeros(3))


def test_train_rejects_bad_corpus():
    with pytest.raises(ValueError, match="texts"):
        WordTokenizer.train([])
    with pytest.raises(TypeError, match="texts"):
        WordTokenizer.train("a single string")
    with pytest.raises(ValueError, match="texts"):
        WordTokenizer.train(["", "   "])


def test_train_rejects_bad_settings():
    with pytest.raises(ValueError, match="min_freq"):
        WordTokenizer.train(["a"], min_freq=0)
    with pytest.raises(TypeError, match="min_freq"):
        WordTokenizer.train(["a"], min_freq=1.5)
    with pytest.raises(ValueError, match="max_vocab"):
        WordTokenizer.train(["a"], max_vocab=5)
    with pytest.raises(ValueError, match="n_sentinels"):
        WordTokenizer.train(["a"], n_sentinels=-1)


def test_unknown_special_token_is_named(tok):
    with pytest.raises(ValueError, match=r"unknown special token '\[FOO\]'"):
        tok.token_to_id("[FOO]")
    with pytest.raises(ValueError, match="n_sentinels"):
        tok.sentinel_token_id(8)
    assert tok.convert_tokens_to_ids("[FOO]") == tok.unk_token_id  # lenient on purpose


def test_bad_call_options(tok):
    with pytest.raises(ValueError, match="return_tensors"):
        tok(["Anna"], return_tensors="np")
    with pytest.raises(ValueError, match="padding"):
        tok(["Anna"], padding="longer")
    with pytest.raises(ValueError, match="padding"):
        tok(["Anna", "Anna runs."], padding=False)
    with pytest.raises(TypeError, match="text"):
        tok.tokenize(3)


def test_bad_vocab_and_paths(tmp_path):
    with pytest.raises(TypeError, match="base class"):
        Tokenizer(SPECIAL_TOKENS)
    with pytest.raises(ValueError, match="vocab"):
        WordTokenizer(["a", "b"])
    with pytest.raises(ValueError, match="vocab"):
        WordTokenizer([*SPECIAL_TOKENS, "a", "a"])
    with pytest.raises(FileNotFoundError, match="path"):
        WordTokenizer.train(["a"]).save(tmp_path / "no" / "such" / "tok.json")


def test_docstring_examples_run():
    assert doctest.testmod(tokenizer_module).failed == 0
