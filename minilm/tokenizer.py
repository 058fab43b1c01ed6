"""Tokenizers: text -> integer ids a model can read, and back.

A model never sees letters, only ids. A tokenizer fixes the mapping, and two simple choices
cover this course:

* **word level** (``WordTokenizer``, the default) lowercases and splits words from
  punctuation: "Anna runs." -> ["anna", "runs", "."]. Sequences are short and every token
  means something, but a word missing from the training text becomes [UNK]. The synthetic
  corpus has a closed vocabulary of a few hundred words, so that never bites there.
* **character level** (``CharTokenizer``) makes every character a token: a tiny vocabulary
  and no unknown words in practice, but sequences ~5x longer and spelling to learn.
Real models sit in between (BPE, WordPiece, SentencePiece); no objective here cares which.

**Special tokens** are ids reserved for the *objective*, not the text: [PAD] fills short
rows of a batch (attention_mask = 0 there), [UNK] stands for unknown words, [CLS] [SEP]
start and separate BERT's segments, [MASK] is the blank of BERT, BART and GLM, <s> $ <e>
are GPT's start, delimiter and extract tokens, [S] [E] open and close GLM's spans, and
<extra_id_k> are T5's sentinels. They take the first ids ([PAD] = 0, [UNK] = 1, ...) so
every tokenizer agrees on them; then come the learned tokens, most frequent first (ties
alphabetical), so training on the same text always gives the same ids.

    >>> tok = WordTokenizer.train(["Anna runs. Ben runs!"])
    >>> tok.tokenize("Anna runs.")
    ['anna', 'runs', '.']
    >>> tok.decode(tok.encode("Anna runs.", add_special_tokens=True))
    '[CLS] anna runs. [SEP]'
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import ClassVar

import torch

from minilm.atomic import write_atomically
from minilm.checks import check_file, check_positive_int, check_utf8_text

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "<s>", "$", "<e>", "[S]", "[E]")
DEFAULT_N_SENTINELS = 8
WORD_RE = re.compile(r"\w+|[^\w\s]")  # a run of letters/digits, or one punctuation mark
_NO_SPACE_BEFORE = frozenset(".,!?;:')%")  # decode writes "runs." not "runs ."
_FORMAT = "minilm-tokenizer"
_KINDS: dict[str, type[Tokenizer]] = {}  # "word" -> WordTokenizer, filled by subclasses


def sentinel_token(k: int) -> str:
    """T5's k-th sentinel, ``<extra_id_k>``."""
    return f"<extra_id_{k}>"


def special_tokens(n_sentinels: int = DEFAULT_N_SENTINELS) -> tuple[str, ...]:
    """All special tokens in id order: ``SPECIAL_TOKENS`` then the sentinels."""
    return SPECIAL_TOKENS + tuple(sentinel_token(k) for k in range(n_sentinels))


def _check_str(text, name: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")
    return text


class _SpecialId:
    """``tok.mask_token_id`` reads the id of "[MASK]" (the same in every tokenizer)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __get__(self, tokenizer, owner=None):
        return self if tokenizer is None else tokenizer.token_to_id(self.token)


class Tokenizer:
    """A fixed vocabulary (special tokens first) plus a rule that splits text into tokens.

    Build one with ``WordTokenizer.train(texts)`` / ``CharTokenizer.train(texts)`` (or
    ``Tokenizer.train``, which makes the default word tokenizer), or ``Tokenizer.load``.
    """

    kind: ClassVar[str] = ""
    default_lowercase: ClassVar[bool] = False

    pad_token_id = _SpecialId("[PAD]")
    unk_token_id = _SpecialId("[UNK]")
    cls_token_id = _SpecialId("[CLS]")
    sep_token_id = _SpecialId("[SEP]")
    mask_token_id = _SpecialId("[MASK]")
    bos_token_id = _SpecialId("<s>")  # GPT's start token
    delim_token_id = _SpecialId("$")  # GPT's delimiter
    eos_token_id = _SpecialId("<e>")  # GPT's end / extract token
    span_start_token_id = _SpecialId("[S]")  # GLM
    span_end_token_id = _SpecialId("[E]")  # GLM

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        _KINDS[cls.kind] = cls

    def __init__(self, vocab: Sequence[str], *, lowercase: bool | None = None) -> None:
        if type(self) is Tokenizer:
            raise TypeError("Tokenizer is a base class: use WordTokenizer or CharTokenizer")
        vocab = list(vocab)
        if not all(isinstance(t, str) and t for t in vocab):
            raise TypeError("vocab must be a sequence of non-empty str tokens")
        if tuple(vocab[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"vocab must start with the special tokens {SPECIAL_TOKENS}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("vocab has duplicate tokens")
        n_sentinels = 0  # the sentinels, if any, come right after SPECIAL_TOKENS
        while vocab[len(SPECIAL_TOKENS) + n_sentinels:][:1] == [sentinel_token(n_sentinels)]:
            n_sentinels += 1
        self.n_sentinels = n_sentinels
        self.lowercase = self.default_lowercase if lowercase is None else bool(lowercase)
        self._id_to_token = tuple(vocab)
        self._token_to_id = {t: i for i, t in enumerate(vocab)}
        specials = special_tokens(n_sentinels)
        # Longest first, so a special token written in the text is matched whole.
        self._special_re = re.compile(
            "|".join(re.escape(t) for t in sorted(specials, key=len, reverse=True)))

    @classmethod
    def train(cls, texts: Iterable[str], *, min_freq: int = 1, max_vocab: int | None = None,
              n_sentinels: int = DEFAULT_N_SENTINELS,
              lowercase: bool | None = None) -> Tokenizer:
        """Learn a vocabulary: special tokens, then tokens seen >= ``min_freq`` times,
        most frequent first. ``max_vocab`` caps the total size, special tokens included."""
        if cls is Tokenizer:
            cls = WordTokenizer  # the course's default
        if isinstance(texts, str) or not isinstance(texts, Iterable):
            raise TypeError("texts must be an iterable of str (a list of documents), got "
                            f"{type(texts).__name__}; wrap a single text in a list")
        texts = [_check_str(text, f"texts[{i}]") for i, text in enumerate(texts)]
        if not texts:
            raise ValueError("texts is empty: train needs at least one text")
        check_positive_int(min_freq, "min_freq")
        specials = special_tokens(check_positive_int(n_sentinels, "n_sentinels", allow_zero=True))
        if max_vocab is not None and check_positive_int(max_vocab, "max_vocab") < len(specials):
            raise ValueError(f"max_vocab={max_vocab} leaves no room for the {len(specials)} "
                             "special tokens (max_vocab counts them too)")
        splitter = cls(specials, lowercase=lowercase)  # specials only: used to split text
        counts = Counter(t for text in texts for t in splitter.tokenize(text))
        for token in specials:
            counts.pop(token, None)
        if not counts:
            raise ValueError("texts contain no tokens to learn (are they all empty?)")
        learned = sorted((t for t, c in counts.items() if c >= min_freq),
                         key=lambda t: (-counts[t], t))
        if max_vocab is not None:
            learned = learned[: max_vocab - len(specials)]
        return cls(specials + tuple(learned), lowercase=lowercase)

    def tokenize(self, text: str) -> list[str]:
        """Split ``text`` into tokens; special tokens written in the text stay whole."""
        _check_str(text, "text")
        tokens, start = [], 0
        for match in self._special_re.finditer(text):
            tokens += self._split(text[start: match.start()])
            tokens.append(match.group())
            start = match.end()
        return tokens + self._split(text[start:])

    def _split(self, text: str) -> list[str]:
        raise NotImplementedError

    def _join(self, tokens: list[str]) -> str:
        raise NotImplementedError

    def encode(self, text: str, *, add_special_tokens: bool = False) -> list[int]:
        """Ids of ``text``; ``add_special_tokens`` wraps them as ``[CLS] ... [SEP]``."""
        ids = self.convert_tokens_to_ids(self.tokenize(text))
        return [self.cls_token_id, *ids, self.sep_token_id] if add_special_tokens else ids

    def decode(self, ids, *, skip_special_tokens: bool = False) -> str:
        """Text of ``ids`` (a list of ints or a 1-D tensor)."""
        ids = self._id_list(ids)
        if skip_special_tokens:
            n_special = len(SPECIAL_TOKENS) + self.n_sentinels
            ids = [i for i in ids if i >= n_special]
        return self._join(self.convert_ids_to_tokens(ids))

    def batch_decode(self, batch, *, skip_special_tokens: bool = False) -> list[str]:
        """``decode`` each row of a 2-D tensor or a list of id lists."""
        return [self.decode(row, skip_special_tokens=skip_special_tokens) for row in batch]

    def convert_ids_to_tokens(self, ids) -> str | list[str]:
        if isinstance(ids, int) and not isinstance(ids, bool):
            return self._id_to_token[self._id_list([ids])[0]]
        return [self._id_to_token[i] for i in self._id_list(ids)]

    def convert_tokens_to_ids(self, tokens) -> int | list[int]:
        """Ids of ``tokens`` (a str or a list of str); unknown tokens give [UNK]'s id."""
        if isinstance(tokens, str):
            return self._token_to_id.get(tokens, self.unk_token_id)
        unk = self.unk_token_id
        return [self._token_to_id.get(_check_str(t, f"tokens[{i}]"), unk)
                for i, t in enumerate(tokens)]

    def token_to_id(self, token: str) -> int:
        """Id of ``token``; unlike ``convert_tokens_to_ids``, unknown is an error."""
        if _check_str(token, "token") not in self._token_to_id:
            kind = "special token" if token.startswith(("[", "<")) else "token"
            raise ValueError(f"unknown {kind} {token!r}: not in this tokenizer's vocabulary")
        return self._token_to_id[token]

    def sentinel_token_id(self, k: int) -> int:
        """Id of T5's ``<extra_id_k>``."""
        if check_positive_int(k, "k", allow_zero=True) >= self.n_sentinels:
            raise ValueError(f"k={k} but this tokenizer has n_sentinels={self.n_sentinels}")
        return self.token_to_id(sentinel_token(k))

    def _id_list(self, ids) -> list[int]:
        if isinstance(ids, torch.Tensor):
            if ids.dim() > 1:
                raise ValueError(f"ids must be 1-D, got shape {tuple(ids.shape)}; "
                                 "use batch_decode for a batch")
            if ids.is_floating_point() or ids.dtype == torch.bool:
                raise TypeError(f"ids must be an integer tensor, got {ids.dtype}")
            ids = ids.reshape(-1).tolist()
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
            raise TypeError(f"ids must be a list of int or a 1-D tensor, got {type(ids).__name__}")
        ids = list(ids)
        for position, i in enumerate(ids):
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f"ids must hold ints, got {type(i).__name__} at {position}")
            if not 0 <= i < len(self):
                raise ValueError(f"ids has {i} at position {position}, outside the "
                                 f"vocabulary [0, {len(self)})")
        return ids

    def __call__(self, texts: str | Sequence[str], *, padding: bool | str = True,
                 max_length: int | None = None, truncation: bool = False,
                 add_special_tokens: bool = False, return_tensors: str | None = "pt") -> dict:
        """Encode a batch: ``{"input_ids": [B, T], "attention_mask": [B, T]}``.

        Rows are padded on the right with [PAD] up to the longest row (``padding=True``)
        or to ``max_length`` (``padding="max_length"``); attention_mask is 1 on real
        tokens. A row longer than ``max_length`` is an error unless ``truncation=True``.
        ``return_tensors=None`` gives lists (a flat list for a single str, like HF).
        """
        single = isinstance(texts, str)
        batch = [texts] if single else texts
        if not isinstance(batch, Sequence) or not all(isinstance(t, str) for t in batch):
            raise TypeError("texts must be a str or a list of str")
        if not batch:
            raise ValueError("texts is empty: pass at least one text")
        if padding not in (True, False, "longest", "max_length"):
            raise ValueError(f"padding must be True, False or 'max_length', got {padding!r}")
        if return_tensors not in ("pt", None):
            raise ValueError(f"return_tensors must be 'pt' or None, got {return_tensors!r}")
        n_special = 2 if add_special_tokens else 0
        if max_length is not None and check_positive_int(max_length, "max_length") < n_special:
            raise ValueError(f"max_length={max_length} leaves no room for [CLS] and [SEP]")
        if max_length is None and padding == "max_length":
            raise ValueError("padding='max_length' needs max_length")
        rows = []
        for i, text in enumerate(batch):
            ids = self.encode(text)
            if max_length is not None and len(ids) + n_special > max_length:
                if not truncation:
                    raise ValueError(f"texts[{i}] has {len(ids) + n_special} tokens, more "
                                     f"than max_length={max_length}; pass truncation=True "
                                     "or a larger max_length")
                ids = ids[: max_length - n_special]  # cut the text, keep [CLS] ... [SEP]
            rows.append([self.cls_token_id, *ids, self.sep_token_id] if n_special else ids)
        width = max_length if padding == "max_length" else max(map(len, rows))
        if not padding and len(set(map(len, rows))) > 1 and return_tensors == "pt":
            raise ValueError("rows have different lengths: use padding=True to make a tensor")
        widths = [width if padding else len(row) for row in rows]
        mask = [[1] * len(row) + [0] * (w - len(row)) for row, w in zip(rows, widths, strict=True)]
        rows = [row + [self.pad_token_id] * (w - len(row)) for row, w in zip(rows, widths, strict=True)]
        if return_tensors == "pt":
            return {"input_ids": torch.tensor(rows, dtype=torch.long).reshape(len(rows), -1),
                    "attention_mask": torch.tensor(mask, dtype=torch.long).reshape(len(rows), -1)}
        if single:
            return {"input_ids": rows[0], "attention_mask": mask[0]}
        return {"input_ids": rows, "attention_mask": mask}

    @property
    def vocab_size(self) -> int:
        return len(self._id_to_token)

    def __len__(self) -> int:
        return len(self._id_to_token)

    @property
    def vocab(self) -> tuple[str, ...]:
        """Every token, in id order."""
        return self._id_to_token

    def get_vocab(self) -> dict[str, int]:
        return dict(self._token_to_id)

    @property
    def special_token_ids(self) -> tuple[int, ...]:
        """Ids of all special tokens (they come first: 0 .. n_special - 1)."""
        return tuple(range(len(SPECIAL_TOKENS) + self.n_sentinels))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(vocab_size={len(self)}, "
                f"n_sentinels={self.n_sentinels}, lowercase={self.lowercase})")

    def to_dict(self) -> dict:
        """Everything needed to rebuild this tokenizer, as JSON-ready data."""
        return {"format": _FORMAT, "version": 1, "kind": self.kind,
                "lowercase": self.lowercase, "vocab": list(self._id_to_token)}

    @classmethod
    def from_dict(cls, data: dict) -> Tokenizer:
        """Rebuild a tokenizer from ``to_dict`` data (a WordTokenizer or CharTokenizer)."""
        if (not isinstance(data, dict) or data.get("format") != _FORMAT
                or data.get("kind") not in _KINDS or not isinstance(data.get("vocab"), list)
                or not isinstance(data.get("lowercase"), bool)):
            raise ValueError("data is not a minilm tokenizer (expected the keys format, "
                             "kind, lowercase and vocab written by Tokenizer.save)")
        kind_cls = _KINDS[data["kind"]]
        if cls is not Tokenizer and kind_cls is not cls:
            raise ValueError(f"data holds a {data['kind']!r} tokenizer, not a {cls.kind!r} "
                             "one; Tokenizer.load / Tokenizer.from_dict return either kind")
        return kind_cls(data["vocab"], lowercase=data["lowercase"])

    def save(self, path: str | os.PathLike) -> Path:
        """Write the tokenizer as JSON, atomically: a crash never leaves half a file."""
        path = Path(path)
        if not path.parent.is_dir():
            raise FileNotFoundError(f"cannot save to path={str(path)!r}: "
                                    f"folder {str(path.parent)!r} does not exist")
        data = self.to_dict()
        check_utf8_text(data["vocab"], "tokenizer vocab")

        def write(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, indent=1)

        write_atomically(path, write)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        """Read a file written by ``save``; returns a WordTokenizer or CharTokenizer."""
        path = check_file(path, what="tokenizer file")
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError, ValueError) as err:
            raise ValueError(f"{str(path)!r} is not a minilm tokenizer JSON file: {err}") from None


class WordTokenizer(Tokenizer):
    """Lowercased words and single punctuation marks: "Anna runs." -> anna / runs / ."""

    kind = "word"
    default_lowercase = True

    def _split(self, text: str) -> list[str]:
        return WORD_RE.findall(text.lower() if self.lowercase else text)

    def _join(self, tokens: list[str]) -> str:
        parts = []
        for i, token in enumerate(tokens):
            glue = i == 0 or token in _NO_SPACE_BEFORE or (  # "anna's": ' glues both sides
                tokens[i - 1] == "'" and i >= 2 and tokens[i - 2].isalnum() and token.isalnum())
            parts.append(token if glue else " " + token)
        return "".join(parts)


class CharTokenizer(Tokenizer):
    """Every character is a token (case kept): decode(encode(text)) == text."""

    kind = "char"
    default_lowercase = False

    def _split(self, text: str) -> list[str]:
        return list(text.lower() if self.lowercase else text)

    def _join(self, tokens: list[str]) -> str:
        return "".join(tokens)
