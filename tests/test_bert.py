"""BERT: the pretraining model (MLM + NSP heads on a bidirectional encoder) and its
fine-tuning heads (sequence classification, tagging, span extraction)."""

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from minilm.checkpoint import load_checkpoint, save_checkpoint
from minilm.data import TAGS, make_sentiment, make_tagging, split_sentences, synthetic_corpus
from minilm.finetune import (
    BertForSequenceClassification,
    BertForSpanExtraction,
    BertForTokenClassification,
    best_span,
)
from minilm.finetune.bert_tasks import (
    accuracy,
    answer_positions,
    make_span_qa,
    sentiment_batch,
    span_batch,
    tagging_batch,
)
from minilm.finetune.bert_vs_gpt import causal_lm_batch, fill_one_blank
from minilm.models import IGNORE_INDEX, Bert, BertConfig, ModelOutput
from minilm.models.bert import pretraining_metrics
from minilm.objectives.nsp import bert_pretraining_batch, make_nsp_pairs
from minilm.tokenizer import WordTokenizer
from minilm.train import train

V = 50


def tiny(**overrides):
    torch.manual_seed(0)
    return Bert(BertConfig.tiny(V, d_model=32, max_len=16, **overrides)).eval()


def random_batch(seed=0, B=3, T=10):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, V, (B, T), generator=g)
    types = (torch.arange(T) >= T // 2).long().expand(B, T).clone()
    mask = torch.ones(B, T, dtype=torch.long)
    mask[B // 2, -3:] = 0  # one padded row
    return ids, types, mask


# -------------------------------------------------------------------- config, shapes
def test_config_is_the_paper_s_post_ln_gelu_two_segment_encoder():
    c = BertConfig(vocab_size=V)
    assert (c.norm_first, c.n_segments, c.activation, c.position) == (False, 2, "gelu", "learned")
    assert BertConfig.tiny(V).d_model == 64 and BertConfig.tiny(V, n_layers=3).n_layers == 3


def test_output_shapes():
    model = tiny()
    ids, types, mask = random_batch()
    out = model(ids, token_type_ids=types, attention_mask=mask, output_attentions=True)
    assert out.logits.shape == (3, 10, V)
    assert out.nsp_logits.shape == (3, 2)
    assert out.hidden_states.shape == out.hidden_states.shape == (3, 10, 32)
    assert out.pooler_output.shape == (3, 32) and out.pooler_output.abs().max() <= 1  # tanh
    assert len(out.attentions) == 2 and out.attentions[0].shape == (3, 4, 10, 10)
    assert out.loss is None


# ---------------------------------------------------------------- BERT-1: the input
def test_input_embedding_is_token_plus_segment_plus_position_then_layernorm():
    model = tiny()
    ids, types, _ = random_batch(1)
    embed = model.encoder.embed
    by_hand = embed.token.weight[ids] + embed.segment.weight[types] + embed.position.weight[:10]
    torch.testing.assert_close(embed(ids, token_type_ids=types), by_hand)
    captured = {}
    model.encoder.embed_norm.register_forward_hook(lambda m, i, o: captured.setdefault("h0", o))
    model(ids, token_type_ids=types)
    torch.testing.assert_close(captured["h0"], F.layer_norm(by_hand, (32,), model.encoder.embed_norm.weight,
                                                            model.encoder.embed_norm.bias))


def test_segments_change_the_output():
    model = tiny()
    ids, types, _ = random_batch(2)
    a = model(ids, token_type_ids=types).logits
    b = model(ids, token_type_ids=torch.zeros_like(types)).logits
    assert not torch.allclose(a, b)
    torch.testing.assert_close(model(ids).logits, b)  # no token_type_ids = all segment A


def test_every_position_sees_the_future_too():
    model = tiny()
    ids, _, _ = random_batch(3)
    changed = ids.clone()
    changed[:, -1] = (ids[:, -1] + 1 - 5) % (V - 5) + 5
    diff = (model(ids).hidden_states - model(changed).hidden_states).abs().amax(dim=-1)
    assert (diff[:, 0] > 1e-4).all(), "position 0 must depend on the last token (bidirectional)"


def test_padding_does_not_change_the_real_positions():
    model = tiny()
    ids, types, _ = random_batch(4, B=1, T=6)
    alone = model(ids, token_type_ids=types)
    padded_ids = torch.cat([ids, torch.tensor([[7, 9, 11]])], dim=1)  # junk where attention_mask is 0
    padded_types = torch.cat([types, torch.ones(1, 3, dtype=torch.long)], dim=1)
    mask = torch.tensor([[1] * 6 + [0] * 3])
    padded = model(padded_ids, token_type_ids=padded_types, attention_mask=mask)
    torch.testing.assert_close(padded.logits[:, :6], alone.logits, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(padded.nsp_logits, alone.nsp_logits, atol=1e-5, rtol=1e-4)


def test_explicit_attention_and_sdpa_agree_through_the_model():
    fast = tiny(use_sdpa=True)
    slow = tiny(use_sdpa=False)
    slow.load_state_dict(fast.state_dict())
    ids, types, mask = random_batch(5)
    a = fast(ids, token_type_ids=types, attention_mask=mask)
    b = slow(ids, token_type_ids=types, attention_mask=mask)
    c = fast(ids, token_type_ids=types, attention_mask=mask, output_attentions=True)
    for other in (b, c):
        torch.testing.assert_close(other.logits, a.logits, atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(other.nsp_logits, a.nsp_logits, atol=1e-5, rtol=1e-4)
    weights = c.attentions[0]
    torch.testing.assert_close(weights.sum(-1), torch.ones(3, 4, 10))
    assert (weights[1, :, :, -3:] == 0).all(), "no attention to padding keys"


# ----------------------------------------------------------------- BERT-2/3: heads
def test_mlm_decoder_is_tied_to_the_token_embeddings():
    model = tiny()
    assert model.mlm_decoder.weight is model.encoder.embed.token.weight
    assert model.mlm_decoder.bias.shape == (V,)  # the output bias is its own
    untied = tiny(tie_embeddings=False)
    assert untied.mlm_decoder.weight is not untied.encoder.embed.token.weight


def test_losses_are_mlm_plus_nsp():
    model = tiny()
    ids, types, mask = random_batch(6)
    labels = torch.full_like(ids, IGNORE_INDEX)
    labels[0, 2], labels[2, 7] = 11, 23
    nsp = torch.tensor([0, 1, 1])
    out = model(ids, token_type_ids=types, attention_mask=mask, labels=labels, next_sentence_label=nsp)
    mlm = F.cross_entropy(torch.stack([out.logits[0, 2], out.logits[2, 7]]), torch.tensor([11, 23]))
    torch.testing.assert_close(out.mlm_loss, mlm)
    torch.testing.assert_close(out.nsp_loss, F.cross_entropy(out.nsp_logits, nsp))
    torch.testing.assert_close(out.loss, out.mlm_loss + out.nsp_loss)
    only_mlm = model(ids, token_type_ids=types, attention_mask=mask, labels=labels)
    torch.testing.assert_close(only_mlm.loss, mlm)
    assert only_mlm.nsp_loss is None


def test_nsp_reads_the_cls_position_only():
    model = tiny()
    ids, types, _ = random_batch(7)
    out = model(ids, token_type_ids=types)
    C = out.hidden_states[:, 0]
    torch.testing.assert_close(out.nsp_logits, model.nsp_head(torch.tanh(model.encoder.pooler(C))))


def test_checkpoint_round_trip(tmp_path):
    model = tiny()
    path = save_checkpoint(model, tmp_path / "bert.safetensors")
    loaded, _, _ = load_checkpoint(path)
    assert isinstance(loaded, Bert) and loaded.mlm_decoder.weight is loaded.encoder.embed.token.weight
    ids, types, _ = random_batch(8)
    torch.testing.assert_close(loaded.eval()(ids, token_type_ids=types).logits,
                               model(ids, token_type_ids=types).logits)


@pytest.fixture(scope="module")
def corpus():
    stories = synthetic_corpus(400, seed=0)
    tok = WordTokenizer.train(stories)
    docs = [[tok.encode(s) for s in split_sentences(story)] for story in stories]
    return tok, docs


def test_mlm_and_nsp_pretraining_loss_goes_down(corpus):
    tok, docs = corpus
    torch.manual_seed(0)
    model = Bert(BertConfig.tiny(tok.vocab_size))
    g = torch.Generator().manual_seed(0)
    held = [bert_pretraining_batch(tok, make_nsp_pairs(docs[-50:], 128, generator=g), generator=g)]
    before = pretraining_metrics(model, held)
    train(model, lambda: bert_pretraining_batch(tok, make_nsp_pairs(docs[:-50], 16, generator=g),
                                                generator=g),
          steps=60, lr=5e-3, warmup=10, progress=False)
    after = pretraining_metrics(model, held)
    # over seeds 0-4, 1 thread: MLM loss falls 1.1-1.6 (mean 1.4, sd 0.2), MLM accuracy
    # rises 0.15-0.22 (mean 0.18, sd 0.03), NSP loss ends at 0.686-0.693
    assert after["mlm_loss"] < before["mlm_loss"] - 0.8  # seen: 5.5 -> 4.1
    assert after["mlm_accuracy"] > before["mlm_accuracy"] + 0.08  # seen: 0.02 -> 0.17
    assert after["nsp_loss"] < 0.8  # chance is ln 2 = 0.69; it must not blow up


# ----------------------------------------------------------------- BERT-4: heads
def test_fine_tuning_copies_the_pretrained_model_and_updates_every_parameter():
    model = tiny()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    clf = BertForSequenceClassification(model, n_labels=3)
    ids, types, mask = random_batch(9)
    out = clf(ids, token_type_ids=types, attention_mask=mask, labels=torch.tensor([0, 2, 1]))
    assert out.logits.shape == (3, 3)
    out.loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in clf.parameters() if p.dim() > 1
               and p is not clf.bert.pooler.weight)  # the pooler is NSP's, C is read directly
    torch.optim.SGD(clf.parameters(), lr=1.0).step()
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert BertForSequenceClassification(model, use_pooler=True)(ids).logits.shape == (3, 2)


def test_from_scratch_heads_start_from_a_config():
    config = BertConfig.tiny(V, d_model=32)
    head = BertForTokenClassification(config, n_labels=4)
    ids, types, mask = random_batch(10)
    labels = torch.randint(0, 4, ids.shape)
    labels[:, 0] = IGNORE_INDEX
    out = head(ids, token_type_ids=types, attention_mask=mask, labels=labels)
    assert out.logits.shape == (3, 10, 4)
    keep = labels != IGNORE_INDEX
    torch.testing.assert_close(out.loss, F.cross_entropy(out.logits[keep], labels[keep]))
    with pytest.raises(TypeError, match="source"):
        BertForTokenClassification("bert", n_labels=4)


def test_span_head_masks_padding_and_sums_start_and_end_losses():
    head = BertForSpanExtraction(tiny())
    ids, types, mask = random_batch(11)
    start, end = torch.tensor([5, 6, 1]), torch.tensor([7, 6, 3])
    out = head(ids, token_type_ids=types, attention_mask=mask, start_positions=start, end_positions=end)
    assert torch.isinf(out.start_logits[1, -3:]).all() and torch.isinf(out.end_logits[1, -3:]).all()
    S, E = head.span.weight  # the start and end vectors
    torch.testing.assert_close(out.start_logits[0], out.hidden_states[0] @ S)
    torch.testing.assert_close(out.loss, F.cross_entropy(out.start_logits, start)
                               + F.cross_entropy(out.end_logits, end))


def test_best_span_worked_by_hand():
    assert best_span(torch.tensor([0.0, 3.0, 1.0]), torch.tensor([2.0, 0.0, 1.0])).tolist() == [1, 2]
    # (start 2, end 0) would score 5 + 3 = 8; among spans with end >= start, (2, 2) = 6 wins.
    assert best_span(torch.tensor([0.0, 0.0, 5.0]), torch.tensor([3.0, 0.0, 1.0])).tolist() == [2, 2]


def test_best_span_matches_brute_force_on_random_scores():
    g = torch.Generator().manual_seed(12)
    start, end = torch.randn(20, 9, generator=g), torch.randn(20, 9, generator=g)
    allowed = torch.rand(20, 9, generator=g) < 0.7
    allowed[:, 4] = True
    for max_len, allow in ((None, None), (3, allowed)):
        spans = best_span(start, end, allowed=allow, max_answer_len=max_len)
        for b in range(20):
            options = [(float(start[b, i] + end[b, j]), i, j) for i in range(9) for j in range(i, 9)
                       if (max_len is None or j - i < max_len)
                       and (allow is None or (allow[b, i] and allow[b, j]))]
            assert tuple(spans[b].tolist()) == max(options)[1:]


def test_fine_tuned_sentiment_beats_chance_with_margin():
    examples, test = make_sentiment(256, seed=0), make_sentiment(200, seed=1)
    tok = WordTokenizer.train(synthetic_corpus(300, seed=0) + [e.text for e in examples + test])
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig.tiny(tok.vocab_size), n_labels=2)
    data, g = sentiment_batch(tok, examples), torch.Generator().manual_seed(0)

    def batch():
        idx = torch.randint(256, (32,), generator=g)
        return {k: v[idx] for k, v in data.items()}

    train(model, batch, steps=60, lr=1e-3, warmup=6, progress=False)
    # over seeds 0-4, 1 thread: accuracy 1.0 every time
    assert accuracy(model, sentiment_batch(tok, test)) > 0.8


# ------------------------------------------------------------------ task batches
def test_tagging_batch_aligns_one_tag_per_word(corpus):
    tok, _ = corpus
    examples = make_tagging(5, seed=3)
    batch = tagging_batch(tok, examples)
    for row, e in enumerate(examples):
        n = len(e.tokens)
        assert tok.convert_ids_to_tokens(batch["input_ids"][row, 1: n + 1].tolist()) == list(e.tokens)
        assert batch["labels"][row, 1: n + 1].tolist() == [TAGS.index(t) for t in e.tags]
        assert batch["labels"][row, 0] == IGNORE_INDEX
        assert (batch["labels"][row, n + 1:] == IGNORE_INDEX).all()


def test_span_batch_points_at_the_answer_inside_the_context(corpus):
    tok, _ = corpus
    examples = make_span_qa(20, seed=4)
    batch = span_batch(tok, examples)
    allowed = answer_positions(batch["token_type_ids"], batch["attention_mask"])
    for row, e in enumerate(examples):
        s, t = int(batch["start_positions"][row]), int(batch["end_positions"][row])
        assert tok.decode(batch["input_ids"][row, s: t + 1]) == e.answer.lower()
        assert allowed[row, s] and allowed[row, t] and batch["token_type_ids"][row, s] == 1
    assert not allowed[torch.arange(20), batch["attention_mask"].sum(1) - 1].any()  # the last [SEP]


# ------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,error,word", [
    ({"token_type_ids": torch.full((3, 10), 2)}, ValueError, "token_type_ids"),
    ({"token_type_ids": torch.zeros(3, 9, dtype=torch.long)}, ValueError, "token_type_ids"),
    ({"next_sentence_label": torch.tensor([0, 2, 1])}, ValueError, "next_sentence_label"),
    ({"next_sentence_label": torch.tensor([0, 1])}, ValueError, "next_sentence_label"),
    ({"labels": torch.zeros(3, 9, dtype=torch.long)}, ValueError, "labels"),
    ({"attention_mask": torch.ones(3, 9, dtype=torch.long)}, ValueError, "attention_mask"),
])
def test_bad_inputs_name_the_argument(kwargs, error, word):
    ids, _, _ = random_batch(13)
    with pytest.raises(error, match=word):
        tiny()(ids, **kwargs)


def test_bad_input_ids_and_config():
    with pytest.raises(TypeError, match="input_ids"):
        tiny()(torch.rand(2, 5))
    with pytest.raises(ValueError, match="max_len"):
        tiny()(torch.randint(5, V, (1, 17)))
    with pytest.raises(ValueError, match="n_segments"):
        Bert(dataclasses.replace(BertConfig.tiny(V), n_segments=0))
    with pytest.raises(ValueError, match="start_positions"):
        BertForSpanExtraction(tiny())(torch.randint(5, V, (2, 6)), start_positions=torch.tensor([0, 6]),
                                      end_positions=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="end_logits"):
        best_span(torch.zeros(4), torch.zeros(5))
    with pytest.raises(ValueError, match="labels"):
        BertForSequenceClassification(tiny())(torch.randint(5, V, (2, 6)), labels=torch.tensor([0, 2]))


# ------------------------------------------------------- BERT-5: BERT vs GPT vs ELMo
def test_right_to_left_batch_reverses_real_tokens_and_keeps_padding_on_the_right():
    ids = torch.tensor([[2, 10, 11, 3, 0], [2, 12, 3, 13, 3]])
    mask = torch.tensor([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    batch = causal_lm_batch({"input_ids": ids, "attention_mask": mask}, reverse=True)
    assert batch["input_ids"].tolist() == [[3, 11, 10, 2, 0], [3, 13, 3, 12, 2]]
    assert batch["labels"][0].tolist() == [11, 10, 2, -100, -100]  # next token; none past the last real one


class Oracle(torch.nn.Module):
    """A fake LM whose guess at position t is the token ``shift`` places away (the truth
    for a left-to-right LM when shift = +1, for BERT when shift = 0 and nothing is masked)."""

    def __init__(self, shift, answer=None):
        super().__init__()
        self.shift, self.answer = shift, answer

    def forward(self, input_ids, token_type_ids=None, attention_mask=None):
        if self.answer is not None:
            return ModelOutput(logits=F.one_hot(self.answer.expand_as(input_ids), V).float() * 10)
        target = input_ids.roll(-self.shift, dims=1)
        return ModelOutput(logits=F.one_hot(target, V).float() * 10)


def test_fill_one_blank_reads_each_model_at_the_right_position():
    ids = torch.tensor([[2, 10, 11, 12, 3, 13, 3, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 0]])
    batch = {"input_ids": ids, "token_type_ids": torch.zeros_like(ids), "attention_mask": mask}
    blind = Oracle(0, answer=torch.tensor(20))  # always guesses a token that never occurs
    result = fill_one_blank(blind, Oracle(1), Oracle(1), [batch], mask_id=4, special_ids=(0, 2, 3, 4))
    acc = result.accuracy
    assert acc["GPT (left context)"] == 1.0 and acc["right-to-left LM (right context)"] == 1.0
    assert acc["BERT (both sides, every layer)"] == 0.0
    assert result.position.tolist() == [0.0, 0.25, 0.5, 1.0]  # 10, 11, 12 | 13 among 5 word slots
    bins = result.by_position(2)["GPT (left context)"]
    assert bins == [1.0, 1.0]
