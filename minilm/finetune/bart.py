"""Fine-tuning BART (Lewis et al., 2020, Sec. 3 and Fig. 3).

BART's decoder sees the whole input too, so every head reads the *decoder*:

* **sequence classification** - the same input goes into the encoder and the decoder,
  with an end token appended; the final decoder state of that token, which has attended
  to the decoder states of the complete input, feeds a new linear classifier
  (``BartForSequenceClassification``; decoder input ``[<s> x_1 ... x_n <e>]``, Fig. 3a);
* **token classification** - the top decoder state of each token is its representation
  (``BartForTokenClassification``);
* **sequence generation** (summarisation, abstractive QA) - no new parts: the encoder
  reads the input, the decoder generates the output (``Bart`` + ``generate_seq2seq``);
* **machine translation** (Sec. 3.4, Fig. 3b) - BART's encoder embedding is replaced by a
  new, randomly initialised source encoder that maps foreign words into vectors BART can
  denoise into English (``BartForTranslation``). Training has two steps
  (``translation_trainable``): first most of BART is frozen and only the new encoder,
  BART's (encoder) positional embeddings and the self-attention input projection of
  BART's first encoder layer are updated; then everything is trained for a few steps.

Each model copies the ``Bart`` it is given, so fine-tuning never changes the pretrained
model; pass a ``BartConfig`` instead for a randomly initialised one (the "from scratch"
baseline). Every model is built on ``device`` (default ``minilm.device.default_device()``:
a GPU when there is one, else the CPU), wherever the ``Bart`` it copies lives; feed it
tensors on that device (``minilm.device.move_to(batch, device)``).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from minilm.checks import check_positive_int, check_tensor, check_token_ids
from minilm.device import chosen_device, model_device
from minilm.finetune.classifier import classification_loss, new_linear, token_classification_loss
from minilm.masks import padding_mask
from minilm.models.bart import Bart, BartConfig
from minilm.models.common import ModelOutput
from minilm.nn import Embeddings, KVCache, StackOutput, TransformerConfig, TransformerStack, init_weights


def bart_from(source: Bart | BartConfig, device: torch.device | str | None = None) -> Bart:
    """A private copy of a pretrained BART, or a fresh random one from a config, on
    ``device`` (None: ``minilm.device.default_device()``)."""
    device = chosen_device(device)
    if isinstance(source, Bart):
        return copy.deepcopy(source).to(device)
    if isinstance(source, BartConfig):
        return Bart(source).to(device)
    raise TypeError(f"source must be a Bart or a BartConfig, got {type(source).__name__}")




def append_eos(input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, *, eos_id: int,
               pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Put ``eos_id`` right after the last real token of every row: [B, T] -> [B, T + 1]
    (the new column is ``pad_id`` in the rows that end earlier).

        input_ids [a b PAD], mask [1 1 0]  ->  [a b E PAD], mask [1 1 1 0]
    """
    check_tensor(input_ids, "input_ids", ndim=2, integer=True)
    if attention_mask is None:
        attention_mask = torch.ones_like(input_ids)
    elif tuple(attention_mask.shape) != tuple(input_ids.shape):
        raise ValueError(f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}, "
                         f"got {tuple(attention_mask.shape)}")
    B, T = input_ids.shape
    lengths = attention_mask.long().sum(dim=1)  # [B]; padding is on the right
    ids = torch.cat([input_ids, input_ids.new_full((B, 1), pad_id)], dim=1)
    mask = torch.cat([attention_mask.long(), attention_mask.new_zeros((B, 1)).long()], dim=1)
    rows = torch.arange(B, device=ids.device)
    ids[rows, lengths] = eos_id
    mask[rows, lengths] = 1
    return ids, mask


class _SameInput(nn.Module):
    """Run BART with the same tokens in the encoder and the decoder (plus <e>, Fig. 3a).

    ``start_id``, ``eos_id`` and ``pad_id`` are the ids of ``<s>``, ``<e>`` and ``[PAD]``
    in the tokenizer BART was pretrained with (``tokenizer.bos_token_id``, ...).
    """

    def __init__(self, source: Bart | BartConfig, n_labels: int, *, start_id: int, eos_id: int,
                 pad_id: int, device: torch.device | str | None = None):
        super().__init__()
        self.bart = bart_from(source, device)
        self.config = self.bart.config
        self.n_labels = check_positive_int(n_labels, "n_labels")
        self.start_id = check_positive_int(start_id, "start_id", allow_zero=True)
        self.eos_id = check_positive_int(eos_id, "eos_id", allow_zero=True)
        self.pad_id = check_positive_int(pad_id, "pad_id", allow_zero=True)
        # the only new weights, next to the copied BART
        self.classifier = new_linear(self.config.d_model, n_labels).to(model_device(self.bart))

    def decode_same_input(self, input_ids, attention_mask=None, output_attentions=False):
        """Returns (BART's output, lengths): decoder states [B, T + 2, d] over
        ``[<s> x_1 ... x_n <e>]``; the state of x_i is at i + 1, that of <e> at n + 1."""
        check_token_ids(input_ids, "input_ids", self.config.vocab_size, ndim=2)
        T, max_len = input_ids.shape[1], self.config.max_len
        if max_len < T + 2:
            raise ValueError(f"input_ids has length {T}; the decoder reads it with <s> and <e> "
                             f"({T + 2} tokens), more than max_len={max_len}")
        ids, mask = append_eos(input_ids, attention_mask, eos_id=self.eos_id, pad_id=self.pad_id)
        start = ids.new_full((ids.shape[0], 1), self.start_id)
        decoder_ids = torch.cat([start, ids], dim=1)  # [B, T + 2]
        decoder_mask = torch.cat([torch.ones_like(start), mask], dim=1)
        out = self.bart(ids, attention_mask=mask, decoder_input_ids=decoder_ids,
                        decoder_attention_mask=decoder_mask, output_attentions=output_attentions)
        return out, mask.sum(dim=1)  # lengths n + 1 (with <e>)


class BartForSequenceClassification(_SameInput):
    """K-way classification from the final decoder state of the appended <e>: logits [B, K]."""

    def __init__(self, source: Bart | BartConfig, n_labels: int = 2, *, start_id: int, eos_id: int,
                 pad_id: int, device: torch.device | str | None = None):
        super().__init__(source, n_labels, start_id=start_id, eos_id=eos_id, pad_id=pad_id, device=device)

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, output_attentions: bool = False) -> ModelOutput:
        out, lengths = self.decode_same_input(input_ids, attention_mask, output_attentions)
        rows = torch.arange(input_ids.shape[0], device=input_ids.device)
        h_eos = out.hidden_states[rows, lengths]  # [B, d]: <e> sits at decoder position n + 1
        logits = self.classifier(h_eos)  # [B, K]
        return ModelOutput(loss=classification_loss(logits, labels, per="row"), logits=logits,
                           hidden_states=out.hidden_states, attentions=out.attentions,
                           cross_attentions=out.cross_attentions)


class BartForTokenClassification(_SameInput):
    """A label per input token from its top decoder state: logits [B, T, K], aligned with
    ``input_ids``; labels -100 are skipped (padding)."""

    def __init__(self, source: Bart | BartConfig, n_labels: int, *, start_id: int, eos_id: int,
                 pad_id: int, device: torch.device | str | None = None):
        super().__init__(source, n_labels, start_id=start_id, eos_id=eos_id, pad_id=pad_id, device=device)

    def forward(self, input_ids: torch.Tensor, *, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, output_attentions: bool = False) -> ModelOutput:
        out, _ = self.decode_same_input(input_ids, attention_mask, output_attentions)
        T = input_ids.shape[1]
        logits = self.classifier(out.hidden_states[:, 1:T + 1])  # [B, T, K]: x_i was fed at i + 1
        return ModelOutput(loss=token_classification_loss(logits, labels), logits=logits,
                           hidden_states=out.hidden_states, attentions=out.attentions,
                           cross_attentions=out.cross_attentions)


# ---------------------------------------------------------------- machine translation
class SourceEncoder(nn.Module):
    """The new source encoder of Sec. 3.4: its own embedding (a foreign vocabulary may
    differ from BART's) and a few bidirectional blocks; outputs [B, S, d] vectors that
    take the place of BART's encoder token embeddings."""

    def __init__(self, vocab_size: int, d_model: int, *, n_layers: int = 1, n_heads: int = 4,
                 max_len: int = 128):
        super().__init__()
        self.config = TransformerConfig(vocab_size=vocab_size, max_len=max_len, d_model=d_model,
                                        n_layers=n_layers, n_heads=n_heads, norm_first=True)
        self.embed = Embeddings(self.config)
        self.stack = TransformerStack(self.config)
        init_weights(self, n_layers)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        mask = None if attention_mask is None else padding_mask(attention_mask)
        return self.stack(self.embed(input_ids), mask=mask).hidden_states


class BartForTranslation(nn.Module):
    """Foreign ids -> ``SourceEncoder`` -> (in place of E[x]) BART's encoder -> BART's decoder."""

    def __init__(self, source: Bart | BartConfig, source_vocab_size: int | None = None, *,
                 n_layers: int = 1, n_heads: int | None = None, device: torch.device | str | None = None):
        super().__init__()
        self.bart = bart_from(source, device)
        self.config = self.bart.config  # generate_seq2seq reads max_len and vocab_size here
        c = self.config
        self.source_encoder = SourceEncoder(
            c.vocab_size if source_vocab_size is None else check_positive_int(source_vocab_size,
                                                                              "source_vocab_size"),
            c.d_model, n_layers=check_positive_int(n_layers, "n_layers"),
            n_heads=c.n_heads if n_heads is None else n_heads, max_len=c.max_len).to(model_device(self.bart))

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
               output_attentions: bool = False) -> StackOutput:
        vectors = self.source_encoder(input_ids, attention_mask)  # [B, S, d]
        return self.bart.encode(None, attention_mask, inputs_embeds=vectors,
                                output_attentions=output_attentions)

    def forward(self, input_ids: torch.Tensor | None = None, *, decoder_input_ids: torch.Tensor,
                attention_mask: torch.Tensor | None = None,
                decoder_attention_mask: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                encoder_outputs: StackOutput | None = None, cache: KVCache | None = None,
                output_attentions: bool = False) -> ModelOutput:
        if encoder_outputs is None:
            if input_ids is None:
                raise ValueError("pass input_ids (the source) or encoder_outputs")
            encoder_outputs = self.encode(input_ids, attention_mask, output_attentions=output_attentions)
        return self.bart(None, decoder_input_ids=decoder_input_ids, attention_mask=attention_mask,
                         decoder_attention_mask=decoder_attention_mask, labels=labels,
                         encoder_outputs=encoder_outputs, cache=cache, output_attentions=output_attentions)

    def new_cache(self) -> KVCache:
        return self.bart.new_cache()


STEP1_BART_PARAMETERS = (
    "bart.embed.encoder_position.weight",             # BART's (encoder) positional embeddings
    "bart.stack.encoder.blocks.0.attn.qkv_proj.weight",  # self-attention input projection
    "bart.stack.encoder.blocks.0.attn.qkv_proj.bias",    # of BART's first encoder layer
)


def translation_trainable(model: BartForTranslation, step: int) -> list[str]:
    """Names of the parameters trained in step 1 or step 2 of the translation recipe.

    Step 1: the new source encoder (all of it) + ``STEP1_BART_PARAMETERS``; the rest of
    BART is frozen. Step 2: every parameter.
    """
    if not isinstance(model, BartForTranslation):
        raise TypeError(f"model must be a BartForTranslation, got {type(model).__name__}")
    if step not in (1, 2):
        raise ValueError(f"step must be 1 or 2, got {step!r}")
    names = [name for name, _ in model.named_parameters()]
    if step == 2:
        return names
    return [n for n in names if n.startswith("source_encoder.") or n in STEP1_BART_PARAMETERS]


def set_trainable(model: nn.Module, names) -> int:
    """``requires_grad = True`` for exactly the parameters in ``names``, False for the rest;
    returns the number of trainable values."""
    names = set(names)
    known = {n for n, _ in model.named_parameters()}
    if names - known:
        raise ValueError(f"names has parameters the model does not have: {sorted(names - known)[:3]}")
    for name, p in model.named_parameters():
        p.requires_grad_(name in names)
    return sum(p.numel() for n, p in model.named_parameters() if n in names)
