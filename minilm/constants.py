"""Numbers the whole package agrees on. A leaf module: it imports nothing from minilm.

``IGNORE_INDEX`` is the label value the loss skips (Hugging Face's and PyTorch's -100).
The ``MAX_*`` limits turn a request that would exhaust memory or hang (a typo such as
``causal_mask(10**5)``, a 10 GB boolean matrix) into an immediate ``ValueError`` that
names the argument, long before anything is allocated. Each is far above what the
course uses; change it here if you really need more.
"""

from __future__ import annotations

IGNORE_INDEX = -100  # label value meaning "no prediction here" (padding, unmasked tokens)

# A dense [T, S] (or [B, T, S]) boolean attention mask: 2**26 entries = 64 MiB, e.g. one
# 8192 x 8192 mask. The course's models read at most a few hundred tokens.
MAX_MASK_ELEMENTS = 8192 * 8192

# One document handed to a noising objective (T5's noise mask, BART's and GLM's spans):
# 2**20 tokens. T5 corrupts 568-token chunks (Raffel et al., 2020, Sec. 3.1.4 with 512
# input tokens); longer text is split into examples before it is noised.
MAX_SEQUENCE_LENGTH = 2**20

# Query or key tokens in one SVG mask picture: one <rect> of about 170 bytes per cell, so
# 256 x 256 cells is already an 11 MB string; the notebooks draw a few dozen tokens.
# (A 2048-token mask would be about 700 MB of SVG.)
MAX_SVG_TOKENS = 256

# Elements of one weight tensor a config may ask for (an embedding table vocab x d_model):
# 2**31 floats = 8 GiB in float32, far above GPT-2's 50257 x 768 = 39 M.
MAX_TENSOR_ELEMENTS = 2**31

# BART's text infilling and GLM's blank infilling draw span lengths from Poisson(lambda).
# With lambda >= 1/2 the expected number of spans is at most 2 per masked token, so the
# work and (for BART, where a span of length 0 inserts a [MASK]) the growth of the text
# stay bounded; below it most spans are empty (P(0) = exp(-lambda) > 0.6) and a text of
# 100 tokens can become thousands of [MASK]s (lambda = 0.01), or never finish (1e-12).
MIN_POISSON_LAMBDA = 0.5
