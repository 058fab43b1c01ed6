"""GPT-1's task-specific input transformations (Radford et al., 2018, Sec. 3.3, Fig. 1).

A pretrained GPT reads one sequence of tokens, left to right. Tasks with structured
inputs (two sentences, a document + question + answers) are therefore turned into token
sequences, so the model needs no new architecture - only three special tokens, which the
paper calls start, delimiter and extract:

=================  =================================================  ==================
task               sequence(s)                                         then
=================  =================================================  ==================
classification     ``<s> X <e>``                                       linear on h(<e>)
entailment         ``<s> premise $ hypothesis <e>`` (fixed order)      linear on h(<e>)
similarity         ``<s> A $ B <e>`` and ``<s> B $ A <e>``             add both h(<e>), linear
multiple choice    ``<s> p $ q $ c_k <e>`` for each of the N options   one score each, softmax
=================  =================================================  ==================

Similarity has no natural order, so both orders are read and their final states added;
multiple choice gets one sequence per option. (The paper writes the multiple-choice input
as ``[z; q; $; a_k]`` - document and question run together; here a ``$`` also separates
them, which makes the layout easier to see and costs nothing.)

The builders come in two layers: ``*_ids`` work on lists of token ids (what the model
reads), the text versions (``classification_input``, ...) tokenize first. Worked example
with ``<s>`` = 5, ``$`` = 6, ``<e>`` = 7::

    >>> similarity_ids([11, 12], [13], SpecialIds(start=5, delim=6, extract=7))
    ([5, 11, 12, 6, 13, 7], [5, 13, 6, 11, 12, 7])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from minilm.checks import check_positive_int


class SpecialIds(NamedTuple):
    """Ids of GPT's start ``<s>``, delimiter ``$`` and extract ``<e>`` tokens."""

    start: int
    delim: int
    extract: int

    @classmethod
    def from_tokenizer(cls, tokenizer) -> SpecialIds:
        return cls(tokenizer.bos_token_id, tokenizer.delim_token_id, tokenizer.eos_token_id)


def _check_ids(ids, name: str) -> list[int]:
    """A list (or tuple) of non-negative int token ids; an empty text is allowed."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError(f"{name} must be a list of int token ids, got {type(ids).__name__}")
    for i, t in enumerate(ids):
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise TypeError(f"{name}[{i}] must be a non-negative int token id, got {t!r}")
    return list(ids)


def _check_specials(special) -> SpecialIds:
    if not isinstance(special, tuple) or len(special) != 3:
        raise TypeError("special must be SpecialIds(start, delim, extract) "
                        "(SpecialIds.from_tokenizer(tokenizer) makes one)")
    for name, value in zip(SpecialIds._fields, special, strict=True):
        check_positive_int(value, f"special.{name}", allow_zero=True)
    return SpecialIds(*special)


# ------------------------------------------------------------------ on token ids
def classification_ids(text: Sequence[int], special: SpecialIds) -> list[int]:
    """``<s> X <e>``: one text, read whole; the classifier looks at ``<e>``."""
    s = _check_specials(special)
    return [s.start, *_check_ids(text, "text"), s.extract]


def entailment_ids(premise: Sequence[int], hypothesis: Sequence[int],
                   special: SpecialIds) -> list[int]:
    """``<s> premise $ hypothesis <e>``: the order is fixed, premise first."""
    s = _check_specials(special)
    return [s.start, *_check_ids(premise, "premise"), s.delim,
            *_check_ids(hypothesis, "hypothesis"), s.extract]


def similarity_ids(a: Sequence[int], b: Sequence[int],
                   special: SpecialIds) -> tuple[list[int], list[int]]:
    """Both orders, ``<s> A $ B <e>`` and ``<s> B $ A <e>``: similarity is symmetric, a
    left-to-right reader is not, so the head adds the two final states."""
    a, b = _check_ids(a, "a"), _check_ids(b, "b")
    return entailment_ids(a, b, special), entailment_ids(b, a, special)


def multiple_choice_ids(context: Sequence[int], question: Sequence[int],
                        options: Sequence[Sequence[int]], special: SpecialIds) -> list[list[int]]:
    """One sequence ``<s> p $ q $ c_k <e>`` per option; the head scores each one."""
    s = _check_specials(special)
    context, question = _check_ids(context, "context"), _check_ids(question, "question")
    if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
        raise TypeError(f"options must be a list of token-id lists, got {type(options).__name__}")
    if len(options) < 2:
        raise ValueError(f"options must hold at least 2 answers to choose from, got {len(options)}")
    return [[s.start, *context, s.delim, *question, s.delim, *_check_ids(option, f"options[{k}]"),
             s.extract] for k, option in enumerate(options)]


# ------------------------------------------------------------------------ on text
def _encode(tokenizer, text, name: str) -> list[int]:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return tokenizer.encode(text)


def classification_input(tokenizer, text: str) -> list[int]:
    """``<s> X <e>`` for a text (e.g. sentiment of one sentence)."""
    return classification_ids(_encode(tokenizer, text, "text"), SpecialIds.from_tokenizer(tokenizer))


def entailment_input(tokenizer, premise: str, hypothesis: str) -> list[int]:
    """``<s> premise $ hypothesis <e>``."""
    return entailment_ids(_encode(tokenizer, premise, "premise"),
                          _encode(tokenizer, hypothesis, "hypothesis"),
                          SpecialIds.from_tokenizer(tokenizer))


def similarity_inputs(tokenizer, a: str, b: str) -> tuple[list[int], list[int]]:
    """``(<s> A $ B <e>, <s> B $ A <e>)``."""
    return similarity_ids(_encode(tokenizer, a, "a"), _encode(tokenizer, b, "b"),
                          SpecialIds.from_tokenizer(tokenizer))


def multiple_choice_inputs(tokenizer, context: str, question: str,
                           options: Sequence[str]) -> list[list[int]]:
    """``[<s> p $ q $ c_k <e> for each option c_k]``."""
    if isinstance(options, str) or not isinstance(options, Sequence):
        raise TypeError(f"options must be a list of str, got {type(options).__name__}")
    return multiple_choice_ids(
        _encode(tokenizer, context, "context"), _encode(tokenizer, question, "question"),
        [_encode(tokenizer, o, f"options[{k}]") for k, o in enumerate(options)],
        SpecialIds.from_tokenizer(tokenizer))
