"""Your own text: load a UTF-8 file and split it into sentences.

Every notebook runs on the synthetic corpus, but the objectives work on any text. Point
``load_text`` at a plain-text file (a book from Project Gutenberg, your notes) and feed
the result to a tokenizer, or ``split_sentences`` it for sentence-level objectives such as
BERT's next-sentence prediction and BART's sentence permutation.
"""

from __future__ import annotations

import os
import re

from minilm.checks import check_file

# A sentence: anything up to and including a run of . ! or ?, or the end of the text.
_SENTENCE_RE = re.compile(r"[^.!?]*[.!?]+|[^.!?]+$")


def load_text(path: str | os.PathLike) -> str:
    """The contents of a UTF-8 text file (newlines normalised to "\\n")."""
    path = check_file(path, what="text file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"load_text: path={str(path)!r} is not UTF-8 text ({err.reason} at "
                         f"byte {err.start}); save it as UTF-8 first") from None
    if "\x00" in text:
        raise ValueError(f"load_text: path={str(path)!r} holds NUL bytes, so it is a binary file, "
                         "not text")
    if not text.strip():
        raise ValueError(f"load_text: path={str(path)!r} is empty")
    return text


def split_sentences(text: str) -> list[str]:
    """Split ``text`` after each full stop, ! or ?; whitespace inside is collapsed.

    >>> split_sentences("Anna lives in Paris. Where does Ben live?  He lives in Rome")
    ['Anna lives in Paris.', 'Where does Ben live?', 'He lives in Rome']
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    sentences = (" ".join(m.group().split()) for m in _SENTENCE_RE.finditer(text))
    return [s for s in sentences if s]
