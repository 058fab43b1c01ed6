"""The published GPT-2, BERT and BART, when this machine can reach them; tiny stand-ins when not.

``reference_model("gpt2")`` returns the real ``gpt2`` checkpoint and its tokenizer when the
Hugging Face hub answers (or the weights are already in the local cache), and otherwise a
tiny randomly initialised model of the same class with the course's own tokenizer. Either
way ``minilm.interop.from_hf`` converts it, and notebook 09 compares the two side by side,
so the notebook runs everywhere: real predictions on a laptop or in Colab, the same
comparison on random weights offline (CI, a classroom without network).
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass

import torch

from minilm.device import chosen_device
from minilm.settings import FAST

# family -> (Hugging Face checkpoint, model class)
CHECKPOINTS = {"gpt2": ("gpt2", "GPT2LMHeadModel"),
               "bert": ("bert-base-uncased", "BertForPreTraining"),
               "bart": ("facebook/bart-base", "BartForConditionalGeneration")}
HUB = ("huggingface.co", 443)


@dataclass
class Reference:
    hf_model: torch.nn.Module  # a transformers model, in eval mode
    tokenizer: object          # its tokenizer (the course's WordTokenizer for a stand-in)
    name: str                  # the checkpoint, or "tiny random <class>"
    real: bool                 # True for the published weights


def hub_reachable(timeout: float = 2.0) -> bool:
    """Whether the Hugging Face hub answers within ``timeout`` seconds. False in
    ``MINILM_FAST`` mode and when ``HF_HUB_OFFLINE`` is set, without trying."""
    if FAST or os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0"):
        return False
    answered = []

    def connect():  # name resolution ignores socket timeouts, so the whole try runs in a thread
        try:
            socket.create_connection(HUB, timeout=timeout).close()
            answered.append(True)
        except OSError:
            pass

    probe = threading.Thread(target=connect, daemon=True)
    probe.start()
    probe.join(timeout)
    return bool(answered)


def is_cached(checkpoint: str) -> bool:
    """Whether the checkpoint's config is in the local Hugging Face cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(checkpoint, "config.json"), str)


def reference_model(family: str, *, online: bool | None = None, device=None) -> Reference:
    """The published checkpoint of ``family`` ("gpt2", "bert" or "bart"), or its stand-in,
    on ``device`` (default: ``minilm.device.default_device()``).

    ``online=None`` tries the hub when it answers and the local cache otherwise; ``False``
    uses the cache only; a stand-in is returned when neither has the weights.
    """
    if family not in CHECKPOINTS:
        raise ValueError(f"family must be one of {sorted(CHECKPOINTS)}, got {family!r}")
    device = chosen_device(device)  # checked here: a bad name must not look like a missing download
    import transformers

    checkpoint, class_name = CHECKPOINTS[family]
    model_class = getattr(transformers, class_name)
    reachable = hub_reachable() if online is None else online
    if not reachable and not is_cached(checkpoint):
        return stand_in(family, device=device)
    try:
        model = model_class.from_pretrained(checkpoint, local_files_only=not reachable)
        tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, local_files_only=not reachable)
        return Reference(model.to(device).eval(), tokenizer, checkpoint, real=True)
    except (OSError, ValueError):  # not cached and no network: what from_pretrained raises
        return stand_in(family, device=device)


def stand_in(family: str, *, seed: int = 0, device=None) -> Reference:
    """A tiny randomly initialised ``transformers`` model of ``family``'s class, sized for
    the course's word tokenizer (trained on the synthetic corpus), on ``device`` (default:
    ``minilm.device.default_device()``)."""
    import transformers

    from minilm.data import synthetic_corpus
    from minilm.tokenizer import WordTokenizer

    tok = WordTokenizer.train(synthetic_corpus(200, seed=seed))
    ids = {"pad_token_id": tok.pad_token_id, "bos_token_id": tok.bos_token_id,
           "eos_token_id": tok.eos_token_id}
    if family == "gpt2":
        config = transformers.GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=64, n_layer=2,
                                         n_head=4, **ids)
    elif family == "bert":
        config = transformers.BertConfig(vocab_size=len(tok), hidden_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, intermediate_size=256,
                                         max_position_embeddings=64, pad_token_id=tok.pad_token_id)
    else:
        config = transformers.BartConfig(vocab_size=len(tok), d_model=64, encoder_layers=2,
                                         decoder_layers=2, encoder_attention_heads=4,
                                         decoder_attention_heads=4, encoder_ffn_dim=256,
                                         decoder_ffn_dim=256, max_position_embeddings=64,
                                         decoder_start_token_id=tok.bos_token_id,
                                         forced_bos_token_id=None, forced_eos_token_id=None, **ids)
    torch.manual_seed(seed)
    class_name = CHECKPOINTS[family][1]
    model = getattr(transformers, class_name)(config).to(chosen_device(device))
    return Reference(model.eval(), tok, f"tiny random {class_name}", real=False)


def encode(reference: Reference, text: str, *, masked_word: str | None = None) -> torch.Tensor:
    """``text`` as the model's input ids [1, T], with the special tokens its family expects
    ([CLS] ... [SEP] for BERT, <s> ... </s> for BART, none for GPT-2). Each occurrence of
    ``masked_word`` becomes the tokenizer's mask token."""
    tok = reference.tokenizer
    if masked_word is not None:
        text = text.replace(masked_word, "\0")
    if reference.real:
        mask = tok.mask_token if masked_word is not None else ""
        return tok(text.replace("\0", mask or ""), return_tensors="pt")["input_ids"]
    pieces = [tok.encode(part) for part in text.split("\0")]
    ids = pieces[0]
    for piece in pieces[1:]:
        ids = [*ids, tok.mask_token_id, *piece]
    family = _family(reference)
    if family == "bert":
        ids = [tok.cls_token_id, *ids, tok.sep_token_id]
    elif family == "bart":
        ids = [tok.bos_token_id, *ids, tok.eos_token_id]
    return torch.tensor([ids])


def _family(reference: Reference) -> str:
    name = type(reference.hf_model).__name__
    return next(f for f, (_, cls) in CHECKPOINTS.items() if cls == name)


def token_text(reference: Reference, ids) -> list[str]:
    """Readable tokens: GPT-2's and BART's byte-level BPE marks a leading space with 'Ġ'."""
    tokens = reference.tokenizer.convert_ids_to_tokens([int(i) for i in ids])
    return [t.replace("Ġ", "·") for t in tokens]


def top_k_side_by_side(reference: Reference, theirs: torch.Tensor, ours: torch.Tensor, *,
                       k: int = 5) -> str:
    """The ``k`` most likely next tokens under two logit vectors [V], as a text table."""
    p_theirs, p_ours = theirs.float().softmax(-1), ours.float().softmax(-1)
    top_theirs, top_ours = p_theirs.topk(k).indices, p_ours.topk(k).indices
    lines = [f"{'Hugging Face':>28} | {'minilm':<28}"]
    for a, b in zip(top_theirs.tolist(), top_ours.tolist(), strict=True):
        left = f"{token_text(reference, [a])[0]!s:>16} {p_theirs[a]:10.6f}"
        right = f"{token_text(reference, [b])[0]!s:<16} {p_ours[b]:10.6f}"
        lines.append(f"{left:>28} | {right:<28}")
    return "\n".join(lines)
