"""Next sentence prediction pairs and BERT's packed input: [CLS] A [SEP] B [SEP] + segments."""

import math

import pytest
import torch

from minilm.constants import IGNORE_INDEX
from minilm.objectives.nsp import (
    IS_NEXT,
    NOT_NEXT,
    NSPPair,
    bert_pair_input,
    bert_pretraining_batch,
    collate_pairs,
    make_nsp_pairs,
    segment_ids,
)
from minilm.tokenizer import WordTokenizer


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer.train(["Anna runs. She naps. Ben swims in the river. He is happy."])


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def labelled_documents(lengths):
    """Sentence (d, i) is the string 'd{d}s{i}': every pair can be checked by its names."""
    return [[f"d{d}s{i}" for i in range(n)] for d, n in enumerate(lengths)]


def where(sentence):
    d, i = sentence[1:].split("s")
    return int(d), int(i)


# ------------------------------------------------------------------ make_nsp_pairs
def test_isnext_b_follows_a_and_notnext_b_comes_from_another_document():
    pairs = make_nsp_pairs(labelled_documents([3, 5, 1, 4, 2]), 2000, generator=gen())
    assert {p.label for p in pairs} == {IS_NEXT, NOT_NEXT}
    for p in pairs:
        (da, ia), (db, ib) = where(p.a), where(p.b)
        if p.label == IS_NEXT:
            assert (db, ib) == (da, ia + 1)
        else:
            assert db != da


def test_labels_are_balanced_within_five_sigma():
    n = 4000
    pairs = make_nsp_pairs(labelled_documents([4] * 30), n, generator=gen(1))
    share = sum(p.label == IS_NEXT for p in pairs) / n
    assert abs(share - 0.5) < 5 * math.sqrt(0.25 / n)


def test_a_is_uniform_over_sentences_that_have_a_successor():
    # Document 0 offers 1 first sentence (of 2), document 1 offers 4 (of 5): P(doc 0) = 1/5.
    n = 5000
    pairs = make_nsp_pairs(labelled_documents([2, 5]), n, generator=gen(2))
    share = sum(where(p.a)[0] == 0 for p in pairs) / n
    assert abs(share - 0.2) < 5 * math.sqrt(0.2 * 0.8 / n)
    assert all(where(p.a)[1] < [1, 4][where(p.a)[0]] for p in pairs)  # never a last sentence


def test_notnext_b_is_uniform_over_the_other_documents():
    n = 6000
    pairs = make_nsp_pairs(labelled_documents([2, 3, 3]), n, generator=gen(3))
    from_doc0 = [where(p.b)[0] for p in pairs if p.label == NOT_NEXT and where(p.a)[0] == 0]
    assert len(from_doc0) > 200
    share = sum(d == 1 for d in from_doc0) / len(from_doc0)
    assert abs(share - 0.5) < 5 * math.sqrt(0.25 / len(from_doc0))
    # ...and uniform over the sentences inside the drawn document (3 sentences each).
    in_doc1 = [where(p.b)[1] for p in pairs if p.label == NOT_NEXT and where(p.b)[0] == 1]
    for i in range(3):
        assert abs(in_doc1.count(i) / len(in_doc1) - 1 / 3) < 5 * math.sqrt(2 / 9 / len(in_doc1))


def test_pairs_are_reproducible_and_depend_on_the_seed():
    docs = labelled_documents([3, 4, 5])
    assert make_nsp_pairs(docs, 50, generator=gen(7)) == make_nsp_pairs(docs, 50, generator=gen(7))
    assert make_nsp_pairs(docs, 50, generator=gen(7)) != make_nsp_pairs(docs, 50, generator=gen(8))


def test_pairs_of_token_id_lists():
    docs = [[[5, 6], [7]], [[8, 9, 10]]]
    pairs = make_nsp_pairs(docs, 100, generator=gen())
    for p in pairs:
        assert p.a == [5, 6]  # the only sentence with a successor
        assert p.b == ([7] if p.label == IS_NEXT else [8, 9, 10])


@pytest.mark.parametrize("documents,n,error,word", [
    ("Anna runs. She naps.", 4, TypeError, "documents"),
    (["Anna runs.", "She naps."], 4, TypeError, r"documents\[0\]"),
    ([["a", "b"]], 4, ValueError, "two non-empty documents"),
    ([["a"], ["b"]], 4, ValueError, "two or more sentences"),
    ([["a", "b"], ["c"]], 0, ValueError, "n"),
])
def test_bad_documents_and_n(documents, n, error, word):
    with pytest.raises(error, match=word):
        make_nsp_pairs(documents, n)


def test_bad_generator():
    with pytest.raises(TypeError, match="generator"):
        make_nsp_pairs([["a", "b"], ["c"]], 3, generator=0)


# ---------------------------------------------------------------- bert_pair_input
def test_pair_input_worked_by_hand(tok):
    ids = tok.convert_tokens_to_ids
    out = bert_pair_input(tok, "Anna runs.", "She naps.")
    assert out["input_ids"] == ids(["[CLS]", "anna", "runs", ".", "[SEP]", "she", "naps", ".", "[SEP]"])
    assert out["token_type_ids"] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert out["attention_mask"] == [1] * 9


def test_single_sentence_input_is_all_segment_zero(tok):
    out = bert_pair_input(tok, "Ben swims.")
    assert out["input_ids"] == tok.convert_tokens_to_ids(["[CLS]", "ben", "swims", ".", "[SEP]"])
    assert out["token_type_ids"] == [0] * 5


def test_truncation_cuts_the_longer_segment_first(tok):
    out = bert_pair_input(tok, list(range(20, 30)), [40, 41, 42], max_len=10)
    cls, sep = tok.cls_token_id, tok.sep_token_id
    assert out["input_ids"] == [cls, 20, 21, 22, 23, sep, 40, 41, 42, sep]
    out = bert_pair_input(tok, list(range(20, 26)), list(range(40, 46)), max_len=9)
    assert out["input_ids"] == [cls, 20, 21, 22, sep, 40, 41, 42, sep]
    assert len(bert_pair_input(tok, list(range(20, 30)), max_len=4)["input_ids"]) == 4


def test_pair_input_bad_arguments(tok):
    with pytest.raises(ValueError, match="max_len"):
        bert_pair_input(tok, "a", "b", max_len=2)
    with pytest.raises(TypeError, match="b must be"):
        bert_pair_input(tok, "a", 3.5)
    with pytest.raises(TypeError, match="a must be"):
        bert_pair_input(tok, [1, 2.0])


# -------------------------------------------------------------------- segment_ids
def test_segment_ids_worked_by_hand():
    CLS, SEP, PAD = 2, 3, 0
    ids = torch.tensor([CLS, 10, 11, SEP, 12, SEP, PAD, PAD])
    assert segment_ids(ids, SEP).tolist() == [0, 0, 0, 0, 1, 1, 0, 0]
    assert segment_ids(torch.tensor([[CLS, 10, SEP, PAD], [CLS, SEP, 11, SEP]]), SEP).tolist() == \
        [[0, 0, 0, 0], [0, 0, 1, 1]]


def test_segment_ids_agree_with_the_packed_pairs(tok):
    g = gen(4)
    encoded = []
    for _ in range(20):
        a = torch.randint(20, len(tok), (int(torch.randint(1, 8, (1,), generator=g)),), generator=g).tolist()
        b = torch.randint(20, len(tok), (int(torch.randint(1, 8, (1,), generator=g)),), generator=g).tolist()
        pair = torch.rand(1, generator=g) < 0.7
        encoded.append(bert_pair_input(tok, a, b) if pair else bert_pair_input(tok, a))
    batch = collate_pairs(encoded, pad_id=tok.pad_token_id)
    assert torch.equal(segment_ids(batch["input_ids"], tok.sep_token_id), batch["token_type_ids"])


def test_collate_pads_with_pad_segment_zero_and_mask_zero(tok):
    batch = collate_pairs([bert_pair_input(tok, [30, 31], [32]), bert_pair_input(tok, [33])],
                          pad_id=tok.pad_token_id)
    assert batch["input_ids"][1].tolist() == [tok.cls_token_id, 33, tok.sep_token_id, 0, 0, 0]
    assert batch["token_type_ids"].tolist() == [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1] * 6, [1, 1, 1, 0, 0, 0]]
    with pytest.raises(ValueError, match="encoded"):
        collate_pairs([], pad_id=0)


# ----------------------------------------------------------- bert_pretraining_batch
def test_pretraining_batch_masks_only_real_non_special_tokens(tok):
    docs = [[list(range(10 + d, 10 + d + k)) for k in (3, 5, 2)] for d in range(8)]
    pairs = make_nsp_pairs(docs, 400, generator=gen(5))
    clean = collate_pairs([bert_pair_input(tok, p.a, p.b) for p in pairs], pad_id=tok.pad_token_id)
    batch = bert_pretraining_batch(tok, pairs, generator=gen(6))
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "labels", "next_sentence_label"}
    assert torch.equal(batch["token_type_ids"], clean["token_type_ids"])
    assert batch["next_sentence_label"].tolist() == [p.label for p in pairs]
    special = torch.isin(clean["input_ids"], torch.tensor(tok.special_token_ids))
    assert (batch["labels"][special] == IGNORE_INDEX).all()           # [CLS] [SEP] [PAD] never chosen
    assert torch.equal(batch["input_ids"][special], clean["input_ids"][special])
    chosen = batch["labels"] != IGNORE_INDEX
    assert torch.equal(batch["labels"][chosen], clean["input_ids"][chosen])
    eligible = int((~special).sum())
    share = int(chosen.sum()) / eligible
    assert abs(share - 0.15) < 5 * math.sqrt(0.15 * 0.85 / eligible)
    masked = batch["input_ids"][chosen] == tok.mask_token_id
    assert abs(float(masked.float().mean()) - 0.8) < 5 * math.sqrt(0.16 / int(chosen.sum()))


def test_pretraining_batch_bad_pairs(tok):
    with pytest.raises(ValueError, match="pairs"):
        bert_pretraining_batch(tok, [])
    with pytest.raises(ValueError, match="pairs"):
        bert_pretraining_batch(tok, NSPPair([5], [6], 0))
    with pytest.raises(ValueError, match="mlm_probability"):
        bert_pretraining_batch(tok, [NSPPair([5], [6], 0)], mlm_probability=1.5)
