"""BART fine-tuning (minilm.finetune.bart): the <e> state feeds the classifier, token
states are aligned with the input, heads copy the pretrained model, and the two-step
translation recipe trains exactly the parameters the paper names."""

import pytest
import torch

from minilm.finetune import (
    BartForSequenceClassification,
    BartForTokenClassification,
    BartForTranslation,
    translation_trainable,
)
from minilm.finetune.bart import STEP1_BART_PARAMETERS, append_eos, set_trainable
from minilm.generate import generate_seq2seq
from minilm.models import Bart, BartConfig
from minilm.objectives.seq2seq import shift_right
from minilm.train import train

V, PAD, START, EOS = 50, 0, 5, 7
IDS = {"start_id": START, "eos_id": EOS, "pad_id": PAD}  # the ids of <s>, <e>, [PAD]


@pytest.fixture(autouse=True)
def on_the_cpu(monkeypatch):
    """The heads are built on ``default_device()``; these tests feed them CPU tensors."""
    monkeypatch.setenv("MINILM_DEVICE", "cpu")


@pytest.fixture
def bart():
    torch.manual_seed(0)
    return Bart(BartConfig.tiny(V))


def test_append_eos_hand_worked():
    ids = torch.tensor([[11, 12, 0], [13, 14, 15]])
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    out, out_mask = append_eos(ids, mask, eos_id=EOS, pad_id=PAD)
    assert out.tolist() == [[11, 12, EOS, 0], [13, 14, 15, EOS]]
    assert out_mask.tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]


@pytest.mark.parametrize("start, eos", [(START, EOS), (2, 3)])  # another tokenizer's order too
def test_sequence_classifier_reads_the_final_decoder_state_of_eos(bart, start, eos):
    head = BartForSequenceClassification(bart, 3, start_id=start, eos_id=eos, pad_id=PAD).eval()
    ids = torch.randint(10, V, (2, 6))
    with torch.no_grad():
        out = head(ids)
        # by hand: encoder [x <e>], decoder [<s> x <e>], the state of <e> (the last one)
        enc = torch.cat([ids, torch.full((2, 1), eos)], dim=1)
        dec = torch.cat([torch.full((2, 1), start), enc], dim=1)
        states = head.bart(enc, decoder_input_ids=dec).hidden_states
        torch.testing.assert_close(out.logits, head.classifier(states[:, -1]))
    assert out.logits.shape == (2, 3)


def test_sequence_classifier_is_padding_invariant(bart):
    head = BartForSequenceClassification(bart, 2, **IDS).eval()
    short, long = torch.randint(10, V, (1, 4)), torch.randint(10, V, (1, 7))
    batch = torch.cat([torch.cat([short, torch.zeros(1, 3, dtype=torch.long)], 1), long])
    mask = torch.tensor([[1] * 4 + [0] * 3, [1] * 7])
    with torch.no_grad():
        together = head(batch, attention_mask=mask).logits
        torch.testing.assert_close(together[0], head(short).logits[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(together[1], head(long).logits[0], atol=1e-5, rtol=1e-5)


def test_heads_copy_the_pretrained_model(bart):
    before = {k: v.clone() for k, v in bart.state_dict().items()}
    head = BartForSequenceClassification(bart, 2, **IDS)
    train(head, {"input_ids": torch.randint(10, V, (4, 5)), "labels": torch.tensor([0, 1, 0, 1])},
          steps=2, progress=False)
    assert all(torch.equal(before[k], v) for k, v in bart.state_dict().items())
    scratch = BartForSequenceClassification(BartConfig.tiny(V), 2, **IDS)  # a config: random weights
    assert not torch.equal(scratch.bart.embed.token.weight, bart.embed.token.weight)


def test_token_classifier_is_aligned_with_the_input(bart):
    head = BartForTokenClassification(bart, 4, **IDS).eval()
    ids = torch.randint(10, V, (2, 6))
    labels = torch.randint(0, 4, (2, 6))
    labels[0, 4:] = -100
    with torch.no_grad():
        out = head(ids, labels=labels)
        enc = torch.cat([ids, torch.full((2, 1), EOS)], dim=1)
        dec = torch.cat([torch.full((2, 1), START), enc], dim=1)
        states = head.bart(enc, decoder_input_ids=dec).hidden_states
    assert out.logits.shape == (2, 6, 4)
    torch.testing.assert_close(out.logits, head.classifier(states[:, 1:7]))  # x_i was fed at i + 1
    real = labels != -100
    by_hand = torch.nn.functional.cross_entropy(out.logits[real], labels[real])
    torch.testing.assert_close(out.loss, by_hand)


def test_heads_reject_bad_input(bart):
    head = BartForSequenceClassification(bart, 2, **IDS)
    with pytest.raises(ValueError, match="labels"):
        head(torch.randint(10, V, (2, 5)), labels=torch.tensor([0, 2]))
    with pytest.raises(TypeError, match="input_ids"):
        head(torch.rand(2, 5))
    with pytest.raises(ValueError, match="input_ids"):
        head(torch.randint(10, V, (1, 127)))
    with pytest.raises(ValueError, match="n_labels"):
        BartForTokenClassification(bart, 0, **IDS)
    with pytest.raises(TypeError, match="source"):
        BartForSequenceClassification("bart", 2, **IDS)
    with pytest.raises(TypeError, match="start_id"):  # the ids come from the tokenizer, never a default
        BartForSequenceClassification(bart, 2, eos_id=EOS, pad_id=PAD)
    with pytest.raises(ValueError, match="attention_mask"):
        append_eos(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 4), eos_id=EOS, pad_id=PAD)


# --- machine translation --------------------------------------------------------------

def test_translation_step1_trains_exactly_the_papers_parameters(bart):
    mt = BartForTranslation(bart, source_vocab_size=30)
    step1 = translation_trainable(mt, 1)
    new = [n for n, _ in mt.named_parameters() if n.startswith("source_encoder.")]
    assert new and set(step1) == set(new) | {
        "bart.embed.encoder_position.weight",
        "bart.stack.encoder.blocks.0.attn.qkv_proj.weight",
        "bart.stack.encoder.blocks.0.attn.qkv_proj.bias",
    }
    assert set(STEP1_BART_PARAMETERS) <= set(step1)
    for frozen in ("bart.embed.token.weight", "bart.embed.decoder_position.weight",
                   "bart.stack.encoder.blocks.0.attn.out_proj.weight",
                   "bart.stack.encoder.blocks.1.attn.qkv_proj.weight",
                   "bart.stack.decoder.blocks.0.attn.qkv_proj.weight", "bart.embed.encoder_norm.weight"):
        assert frozen not in step1
    assert set(translation_trainable(mt, 2)) == {n for n, _ in mt.named_parameters()}
    with pytest.raises(ValueError, match="step"):
        translation_trainable(mt, 3)
    with pytest.raises(TypeError, match="model"):
        translation_trainable(bart, 1)


def test_step1_updates_only_the_trainable_parameters(bart):
    mt = BartForTranslation(bart, source_vocab_size=30)
    n = set_trainable(mt, translation_trainable(mt, 1))
    assert n == sum(p.numel() for name, p in mt.named_parameters() if p.requires_grad)
    before = {k: v.clone() for k, v in mt.named_parameters()}
    src = torch.randint(10, 30, (4, 6))
    labels = torch.randint(10, V, (4, 5))
    batch = {"input_ids": src, "labels": labels,
             "decoder_input_ids": shift_right(labels, start_id=START, pad_id=PAD)}
    train(mt, batch, steps=2, progress=False)
    trainable = set(translation_trainable(mt, 1))
    for name, p in mt.named_parameters():
        changed = not torch.equal(before[name], p)
        assert changed == (name in trainable), name
    with pytest.raises(ValueError, match="names"):
        set_trainable(mt, ["no.such.parameter"])


def test_translation_model_replaces_the_encoder_embedding(bart):
    mt = BartForTranslation(bart, source_vocab_size=30).eval()
    src = torch.randint(10, 30, (2, 6))
    with torch.no_grad():
        enc = mt.encode(src).hidden_states
        by_hand = bart.stack.encoder(bart.embed_source(inputs_embeds=mt.source_encoder(src))).hidden_states
    torch.testing.assert_close(enc, by_hand)
    cached = generate_seq2seq(mt, src, start_id=START, max_new_tokens=8)
    full = generate_seq2seq(mt, src, start_id=START, max_new_tokens=8, use_cache=False)
    assert torch.equal(cached, full) and cached.shape == (2, 9)


HEADS = {
    "sequence": lambda source, **kw: BartForSequenceClassification(source, 2, **IDS, **kw),
    "token": lambda source, **kw: BartForTokenClassification(source, 3, **IDS, **kw),
    "translation": lambda source, **kw: BartForTranslation(source, source_vocab_size=30, **kw),
}


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("from_config", [False, True])
def test_heads_are_built_on_the_given_device_else_the_default(bart, monkeypatch, head, from_config):
    source = bart.config if from_config else bart
    meta = torch.device("meta")  # a device other than the CPU the source lives on
    assert {p.device for p in HEADS[head](source, device=meta).parameters()} == {meta}
    assert {p.device for p in bart.parameters()} == {torch.device("cpu")}  # the source stays put
    monkeypatch.setenv("MINILM_DEVICE", "meta")  # what default_device() returns now
    assert {p.device for p in HEADS[head](source).parameters()} == {meta}
    with pytest.raises(ValueError, match="device"):
        HEADS[head](source, device="no such device")


@pytest.mark.parametrize("head", HEADS)
def test_heads_on_the_cpu_give_outputs_on_the_cpu(bart, head):
    model = HEADS[head](bart, device="cpu").eval()
    ids = torch.randint(10, 30, (2, 5))
    extra = {"decoder_input_ids": ids} if head == "translation" else {}
    with torch.no_grad():
        out = model(ids, **extra)
    assert {p.device for p in model.parameters()} == {torch.device("cpu")}
    assert out.logits.device == torch.device("cpu") and out.hidden_states.device == torch.device("cpu")
