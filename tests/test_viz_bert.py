"""The BERT pictures: the input's three embeddings and one masked batch."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from minilm.objectives.mlm import mask_tokens  # noqa: E402
from minilm.objectives.nsp import bert_pair_input, collate_pairs  # noqa: E402
from minilm.tokenizer import WordTokenizer  # noqa: E402
from minilm.viz.bert import MLM_COLOURS, plot_bert_input, plot_mlm_batch  # noqa: E402


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer.train(["Anna lives in Paris. She likes soup. Ben has a red cat."])


def test_input_picture_has_one_column_per_token(tok):
    packed = bert_pair_input(tok, "Anna lives in Paris.", "She likes soup.")
    tokens = tok.convert_ids_to_tokens(packed["input_ids"])
    fig = plot_bert_input(tokens, torch.tensor(packed["token_type_ids"]))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("E$_A$") == 7 and texts.count("E$_B$") == 5  # [CLS] A [SEP] | B [SEP]
    assert all(f"E$_{{{i}}}$" in texts for i in range(len(tokens)))  # one position embedding each
    plt.close(fig)


def test_input_picture_rejects_mismatched_segments(tok):
    with pytest.raises(ValueError, match="token_type_ids"):
        plot_bert_input(["[CLS]", "a", "[SEP]"], [0, 0])
    with pytest.raises(ValueError, match="token_type_ids"):
        plot_bert_input(["[CLS]", "a", "[SEP]"], [0, 2, 0])
    with pytest.raises(TypeError, match="tokens"):
        plot_bert_input("[CLS] a [SEP]", [0, 0, 0])


def test_mlm_picture_colours_each_masked_token_by_what_happened(tok):
    packed = collate_pairs([bert_pair_input(tok, "Anna lives in Paris.", "She likes soup."),
                            bert_pair_input(tok, "Ben has a red cat.")], pad_id=tok.pad_token_id)
    inputs, labels = mask_tokens(packed["input_ids"], mask_id=tok.mask_token_id, vocab_size=len(tok),
                                 mlm_probability=0.5, special_ids=tok.special_token_ids,
                                 generator=torch.Generator().manual_seed(0))
    fig = plot_mlm_batch(packed["input_ids"], inputs, labels, tok)
    patches = [p for p in fig.axes[0].patches]
    real = int((packed["input_ids"] != tok.pad_token_id).sum())
    assert len(patches) == real  # one box per real token, none for padding
    shown = [t.get_text() for t in fig.axes[0].texts]
    assert shown.count("[MASK]") + sum(s.startswith("[MASK]\n") for s in shown) == int(
        ((inputs == tok.mask_token_id) & (labels != -100)).sum())
    assert len(fig.axes[0].get_legend().get_texts()) == len(MLM_COLOURS)
    plt.close(fig)
    with pytest.raises(ValueError, match="labels"):
        plot_mlm_batch(packed["input_ids"], inputs, labels[:, :-1], tok)
