"""Exercise 00 · Warm-up: read an attention mask with code.

Every model in this course decides "who may see whom" with a boolean matrix:
``mask[i, j] == True`` means query position i MAY attend to key position j.
Notebook 00_welcome shows the masks as pictures; here you read them with code, the way
the mask explorer does.

Fill in the three functions below (replace each ``raise NotImplementedError``), then run
the "check your exercise" cell in 00_welcome, or from a terminal::

    python -m minilm grade ex00

Use only torch (no loops are needed, but a loop that gives the right answer also passes).
"""

from __future__ import annotations

import torch


def visible_keys(mask: torch.Tensor, query: int) -> list[int]:
    """The key positions that query ``query`` may attend to, in increasing order.

    Args:
        mask: bool tensor [T, S], True = may attend (rows are queries, columns keys).
        query: a row index, 0 <= query < T.

    Returns:
        A Python list of ints. For the causal mask of T = 4 and ``query = 2`` that is
        ``[0, 1, 2]``: the token reads itself and the tokens before it. A row with no True
        gives ``[]``.

    Hint: ``mask[query]`` is the row; ``torch.nonzero(row)`` gives the indices of its True
    entries as a [k, 1] tensor; ``.flatten().tolist()`` makes it a list.
    """
    raise NotImplementedError("list the columns where row `query` is True")


def count_visible(mask: torch.Tensor) -> torch.Tensor:
    """How many keys each query may attend to.

    Args:
        mask: bool tensor [T, S] (one sequence) or [B, T, S] (a batch), True = may attend.

    Returns:
        An integer (torch.long) tensor of shape [T] or [B, T]: for every query, the number
        of True entries in its row. For the causal mask of T = 3 that is ``[1, 2, 3]``.

    Hint: summing a bool tensor counts its True entries; sum over the LAST dimension
    (the keys), and convert with ``.long()``.
    """
    raise NotImplementedError("count the True entries of every query row")


def is_causal(mask: torch.Tensor) -> bool:
    """True if no query may attend to a LATER key (nothing above the diagonal is True).

    Args:
        mask: bool tensor [T, T] or [B, T, T].

    Returns:
        A Python bool. The causal mask is causal; so is any mask that hides even more
        (e.g. causal AND padding). The bidirectional mask of T >= 2 is not; a prefix-LM
        mask with a prefix of 2 or more tokens is not either (the prefix looks ahead).

    Hint: ``torch.triu(mask, diagonal=1)`` keeps only the entries above the diagonal;
    ``.any()`` tells whether one of them is True; ``bool(...)`` makes it a Python bool.
    """
    raise NotImplementedError("look for any True above the diagonal")
