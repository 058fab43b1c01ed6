"""Exercise 04 · GPT fine-tuning: input formats and the auxiliary LM objective.

Notebook 04_gpt_finetuning_formats fine-tunes a pretrained GPT on four tasks by turning
each structured input into token sequences with three special tokens - start ``<s>``,
delimiter ``$`` and extract ``<e>`` (Radford et al., 2018, Sec. 3.3) - and trains with

    L_3(C) = L_2(C) + lambda * L_1(C)

(the task loss plus lambda times the language-model loss on the same inputs). Here you
write two of the formats and the combined loss; the graded tests compare them with
``minilm.finetune`` on random inputs.

Fill in the functions below (replace each ``raise NotImplementedError``), then run the
"check your exercise" cell in the notebook, or from a terminal::

    python -m minilm grade ex04
"""

from __future__ import annotations

import torch


def similarity_format(a: list[int], b: list[int], start_id: int, delim_id: int,
                      extract_id: int) -> tuple[list[int], list[int]]:
    """The two sequences GPT reads for a similarity pair: both orders.

    Args:
        a, b: the token ids of the two texts (lists of int, possibly empty).
        start_id, delim_id, extract_id: the ids of ``<s>``, ``$`` and ``<e>``.

    Returns:
        ``(<s> a $ b <e>, <s> b $ a <e>)`` as two new lists of int. Example with
        ``<s>`` = 5, ``$`` = 6, ``<e>`` = 7::

            a = [11, 12], b = [13]  ->  ([5, 11, 12, 6, 13, 7], [5, 13, 6, 11, 12, 7])

    Hint: list concatenation, ``[start_id] + a + [delim_id] + ...``.
    """
    raise NotImplementedError("return both orders, <s> a $ b <e> and <s> b $ a <e>")


def multiple_choice_format(context: list[int], question: list[int], options: list[list[int]],
                           start_id: int, delim_id: int, extract_id: int) -> list[list[int]]:
    """One sequence per answer option: ``<s> context $ question $ option_k <e>``.

    Args:
        context, question: token-id lists.
        options: N token-id lists, one per candidate answer.
        start_id, delim_id, extract_id: the ids of ``<s>``, ``$`` and ``<e>``.

    Returns:
        A list of N lists of int, in the order of ``options``. Example with ``<s>`` = 5,
        ``$`` = 6, ``<e>`` = 7::

            context = [20, 21], question = [30], options = [[40], [41, 42]]
            -> [[5, 20, 21, 6, 30, 6, 40, 7],
                [5, 20, 21, 6, 30, 6, 41, 42, 7]]

        Fewer than 2 options is nothing to choose from: raise ``ValueError``.

    Hint: build the shared prefix once, then one list per option.
    """
    raise NotImplementedError("one <s> context $ question $ option <e> per option")


def combined_loss(class_logits: torch.Tensor, labels: torch.Tensor, lm_logits: torch.Tensor,
                  input_ids: torch.Tensor, attention_mask: torch.Tensor,
                  lm_weight: float) -> torch.Tensor:
    """GPT-1's fine-tuning objective L_3 = L_2 + lambda * L_1, as losses to minimise.

    Args:
        class_logits: float [B, C], the classifier's scores (from h_L at ``<e>``).
        labels: long [B], the right class of each example.
        lm_logits: float [B, T, V], the language-model head's output on the same inputs.
        input_ids: long [B, T], the formatted inputs.
        attention_mask: long [B, T], 1 = real token, 0 = padding (right-padded rows).
        lm_weight: lambda, a number in [0, 1] (the paper uses 0.5).

    Returns:
        A scalar: ``L_2 + lm_weight * L_1`` where L_2 is the mean cross-entropy of
        ``class_logits`` against ``labels`` and L_1 the mean next-token cross-entropy of
        ``lm_logits`` (position t predicts ``input_ids[:, t + 1]``; the last position and
        positions whose next token is padding are not scored). A ``lm_weight`` outside
        [0, 1] raises ``ValueError``.

    Hint: ``torch.nn.functional.cross_entropy`` twice; for L_1 line up ``lm_logits[:, :-1]``
    with ``input_ids[:, 1:]`` and use -100 (its ``ignore_index``) for padded targets.
    """
    raise NotImplementedError("task cross-entropy + lm_weight * next-token cross-entropy")
