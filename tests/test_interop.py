"""Hugging Face parity: a tiny random GPT-2, BERT and BART, converted with ``from_hf``,
compute the same logits, losses and greedy tokens as the originals (no download).

Every weight of the Hugging Face model is redrawn (not left at its initialisation, where
LayerNorms are 1 and biases 0), so a mapping entry that is wrong or missing changes the
output; padding is in every batch, so the masks are compared too.
"""

from __future__ import annotations

import pytest
import torch
import transformers

from minilm.generate import generate, generate_seq2seq
from minilm.interop import from_hf, to_hf
from minilm.models import GLM, GLMConfig, GPTConfig
from minilm.objectives.clm import clm_labels

V, D, T = 61, 32, 16
TOL = {"rtol": 1e-5, "atol": 1e-5}


def redraw(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Every parameter and the logits bias drawn afresh: LayerNorm gains near 1, the rest ~N(0, 0.2)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=g)
            is_gain = p.dim() == 1 and name.endswith("weight")
            p.copy_(1 + 0.1 * noise if is_gain else 0.2 * noise)
        for name, b in model.named_buffers():
            if name == "final_logits_bias":
                b.copy_(0.5 * torch.randn(b.shape, generator=g))
    return model.eval()


def batches(seed: int, n: int = 3):
    """Batches of 3 rows with right padding (one full row, two shorter)."""
    g = torch.Generator().manual_seed(seed)
    for _ in range(n):
        ids = torch.randint(0, V, (3, 12), generator=g)
        mask = torch.ones_like(ids)
        lengths = torch.randint(4, 12, (2,), generator=g)
        mask[1, lengths[0]:] = 0
        mask[2, lengths[1]:] = 0
        yield ids, mask


def gpt2(seed=0, **overrides):
    config = transformers.GPT2Config(vocab_size=V, n_positions=T, n_embd=D, n_layer=2, n_head=4,
                                     bos_token_id=0, eos_token_id=1, pad_token_id=1, **overrides)
    torch.manual_seed(seed)
    return redraw(transformers.GPT2LMHeadModel(config), seed)


def bert(seed=0, cls=transformers.BertForPreTraining, **overrides):
    config = transformers.BertConfig(vocab_size=V, hidden_size=D, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=64,
                                     max_position_embeddings=T, pad_token_id=0, **overrides)
    torch.manual_seed(seed)
    return redraw(cls(config), seed)


def bart(seed=0, **overrides):
    settings = dict(vocab_size=V, d_model=D, encoder_layers=2, decoder_layers=2,
                    encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                    decoder_ffn_dim=64, max_position_embeddings=T, scale_embedding=True,
                    pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
                    forced_bos_token_id=None, forced_eos_token_id=None)
    torch.manual_seed(seed)
    return redraw(transformers.BartForConditionalGeneration(
        transformers.BartConfig(**{**settings, **overrides})), seed)


# ---------------------------------------------------------------------- GPT-2
def test_gpt2_logits_and_loss_match_with_padding():
    hf = gpt2()
    ours = from_hf(hf)
    assert ours.config.activation == "gelu_tanh"  # GPT-2's default gelu_new
    for ids, mask in batches(1):
        real = mask.bool()
        theirs = hf(ids, attention_mask=mask)
        mine = ours(ids, attention_mask=mask)
        torch.testing.assert_close(mine.logits[real], theirs.logits[real], **TOL)
        # Hugging Face shifts labels inside the model; minilm takes them shifted (clm_labels).
        hf_labels = ids.masked_fill(~real, -100)
        loss = ours(ids, attention_mask=mask, labels=clm_labels(ids, mask)).loss
        torch.testing.assert_close(loss, hf(ids, attention_mask=mask, labels=hf_labels).loss, **TOL)


@pytest.mark.parametrize("use_cache", [True, False])
def test_gpt2_greedy_tokens_match(use_cache):
    hf = gpt2(seed=3)
    ours = from_hf(hf)
    prompt = torch.randint(2, V, (2, 4), generator=torch.Generator().manual_seed(4))
    theirs = hf.generate(prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                         max_new_tokens=8, min_new_tokens=8, eos_token_id=None, pad_token_id=1)
    mine = generate(ours, prompt, 8, use_cache=use_cache)
    assert torch.equal(mine, theirs)


# ---------------------------------------------------------------------- BERT
def test_bert_mlm_and_nsp_logits_and_losses_match():
    hf = bert(layer_norm_eps=1e-12)
    ours = from_hf(hf)
    assert ours.config.layer_norm_eps == 1e-12
    for ids, mask in batches(2):
        real = mask.bool()
        segments = (torch.arange(12) >= 6).long().expand_as(ids)
        labels = ids.masked_fill(torch.rand(ids.shape, generator=torch.Generator().manual_seed(5)) > 0.3,
                                 -100).masked_fill(~real, -100)
        labels[:, 0] = ids[:, 0]  # at least one labelled position per row
        nsp = torch.tensor([0, 1, 0])
        theirs = hf(ids, attention_mask=mask, token_type_ids=segments, labels=labels,
                    next_sentence_label=nsp)
        mine = ours(ids, attention_mask=mask, token_type_ids=segments, labels=labels,
                    next_sentence_label=nsp)
        torch.testing.assert_close(mine.logits[real], theirs.prediction_logits[real], **TOL)
        torch.testing.assert_close(mine.nsp_logits, theirs.seq_relationship_logits, **TOL)
        torch.testing.assert_close(mine.loss, theirs.loss, **TOL)  # L_MLM + L_NSP, both sides


def test_bert_for_masked_lm_converts_and_names_the_heads_it_lacks():
    hf = bert(cls=transformers.BertForMaskedLM)
    with pytest.warns(UserWarning, match="nsp_head"):
        ours = from_hf(hf)
    ids, mask = next(batches(6))
    real = mask.bool()
    torch.testing.assert_close(ours(ids, attention_mask=mask).logits[real],
                               hf(ids, attention_mask=mask).logits[real], **TOL)


# ---------------------------------------------------------------------- BART
def test_bart_logits_and_loss_match_with_scaled_embeddings_and_logits_bias():
    hf = bart()
    ours = from_hf(hf)
    assert ours.config.scale_embedding and ours.config.final_logits_bias
    g = torch.Generator().manual_seed(7)
    for ids, mask in batches(3):
        decoder_ids = torch.randint(0, V, (3, 9), generator=g)
        labels = torch.randint(0, V, (3, 9), generator=g)
        theirs = hf(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder_ids, labels=labels)
        mine = ours(ids, attention_mask=mask, decoder_input_ids=decoder_ids, labels=labels)
        torch.testing.assert_close(mine.logits, theirs.logits, **TOL)
        torch.testing.assert_close(mine.loss, theirs.loss, **TOL)


@pytest.mark.parametrize("use_cache", [True, False])
def test_bart_greedy_tokens_match(use_cache):
    hf = bart(seed=8)
    ours = from_hf(hf)
    ids, mask = next(batches(9))
    theirs = hf.generate(ids, attention_mask=mask, do_sample=False, num_beams=1, max_new_tokens=10,
                         min_new_tokens=10, eos_token_id=None)
    mine = generate_seq2seq(ours, ids, attention_mask=mask, start_id=2, max_new_tokens=10,
                            use_cache=use_cache)
    assert torch.equal(mine, theirs)


# ---------------------------------------------------------------------- round trips
@pytest.mark.parametrize("make", [gpt2, bert, bart], ids=["gpt2", "bert", "bart"])
def test_round_trip_to_hf_of_from_hf_computes_the_same(make):
    hf = make(seed=11)
    back = to_hf(from_hf(hf))
    assert type(back) is type(hf)
    ids, mask = next(batches(12))
    kwargs = {"decoder_input_ids": ids[:, :5]} if make is bart else {}
    a = hf(input_ids=ids, attention_mask=mask, **kwargs)
    b = back(input_ids=ids, attention_mask=mask, **kwargs)
    real = mask.bool() if make is not bart else slice(None)
    logits = "prediction_logits" if make is bert else "logits"
    torch.testing.assert_close(getattr(b, logits)[real], getattr(a, logits)[real], **TOL)


def test_minilm_gpt_to_hf_and_back_keeps_the_outputs():
    from minilm.models import GPT

    ours = redraw(GPT(GPTConfig.tiny(V, max_len=T, activation="gelu")), 13)
    hf = to_hf(ours)
    again = from_hf(hf)
    ids, mask = next(batches(14))
    real = mask.bool()
    expected = ours(ids, attention_mask=mask).logits[real]
    torch.testing.assert_close(hf(ids, attention_mask=mask).logits[real], expected, **TOL)
    torch.testing.assert_close(again(ids, attention_mask=mask).logits[real], expected, **TOL)


# ---------------------------------------------------------------------- clear errors
@pytest.mark.parametrize("make, overrides, field", [
    (gpt2, {"activation_function": "silu"}, "activation_function"),
    (gpt2, {"scale_attn_by_inverse_layer_idx": True}, "scale_attn_by_inverse_layer_idx"),
    (bert, {"position_embedding_type": "relative_key"}, "position_embedding_type"),
    (bart, {"decoder_layers": 1}, "decoder_layers"),
    (bart, {"decoder_ffn_dim": 48}, "decoder_ffn_dim"),
])
def test_a_config_minilm_cannot_represent_is_an_error_naming_the_field(make, overrides, field):
    with pytest.raises(ValueError, match=field):
        from_hf(make(**overrides))


def test_weights_minilm_would_ignore_are_listed_in_the_error(monkeypatch):
    hf = gpt2()
    state = hf.state_dict()
    state["transformer.h.0.attn.extra_gate"] = torch.zeros(3)
    monkeypatch.setattr(hf, "state_dict", lambda: state)
    with pytest.raises(ValueError, match="extra_gate"):
        from_hf(hf)


def test_unsupported_models_are_refused_by_name():
    with pytest.raises(TypeError, match="hf_model must be one of"):
        from_hf(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="GLM"):
        to_hf(GLM(GLMConfig.tiny(V)))


# ---------------------------------------------------------------------- notebook 09's helpers
@pytest.mark.parametrize("family", ["gpt2", "bert", "bart"])
def test_offline_stand_in_converts_and_predicts_the_same(family):
    from minilm.hf_reference import encode, stand_in

    ref = stand_in(family)
    assert not ref.real
    ours = from_hf(ref.hf_model)
    ids = encode(ref, "Ben has a home in Paris.", masked_word=None if family == "gpt2" else "Paris")
    if family == "bert":
        assert ids[0, 0] == ref.tokenizer.cls_token_id and ids[0, -1] == ref.tokenizer.sep_token_id
    if family != "gpt2":
        assert int((ids == ref.tokenizer.mask_token_id).sum()) == 1
    kwargs = {"decoder_input_ids": ids[:, :3]} if family == "bart" else {}
    with torch.no_grad():
        theirs = ref.hf_model(input_ids=ids, **kwargs)
        mine = ours(ids, **kwargs)
    torch.testing.assert_close(mine.logits, getattr(theirs, "prediction_logits", None)
                               if family == "bert" else theirs.logits, **TOL)


def test_checkpoint_settings_are_validated():
    with pytest.raises(ValueError, match="layer_norm_eps"):
        GPTConfig.tiny(V, layer_norm_eps=0.0)
    with pytest.raises(ValueError, match="activation"):
        GPTConfig.tiny(V, activation="swish")
