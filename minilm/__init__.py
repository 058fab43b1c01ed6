"""minilm: the pretraining objectives of language models, built from scratch.

Autoencoders and denoising autoencoders, GPT's causal LM, BERT's MLM + NSP, BART's
denoising, T5's span corruption and GLM's autoregressive blank infilling, in small,
readable PyTorch that trains on a laptop CPU in seconds.
"""

__version__ = "0.1.0"

from minilm.device import default_device  # noqa: E402

__all__ = ["__version__", "default_device"]
