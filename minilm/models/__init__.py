"""Every model of the course: a thin composition of ``minilm.nn`` parts plus its
pretraining heads. The heads added for fine-tuning live in ``minilm.finetune``."""

from minilm.models.autoencoder import (
    Autoencoder,
    AutoencoderConfig,
    DeepNet,
    DeepNetConfig,
    greedy_layerwise_pretrain,
)
from minilm.models.bart import Bart, BartConfig
from minilm.models.bert import Bert, BertConfig, BertEncoder, BertOutput
from minilm.models.cbow import CBOW, CBOWConfig
from minilm.models.common import IGNORE_INDEX, ModelOutput, count_parameters, token_cross_entropy
from minilm.models.encoder import EncoderConfig, EncoderLM
from minilm.models.glm import GLM, GLMConfig
from minilm.models.gpt import GPT, GPTConfig
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig, shift_right

__all__ = ["GLM", "GLMConfig", "GPT", "GPTConfig", "IGNORE_INDEX", "ModelOutput", "count_parameters",
           "token_cross_entropy"]
__all__ += ["Autoencoder", "AutoencoderConfig", "CBOW", "CBOWConfig", "DeepNet", "DeepNetConfig",
            "EncoderConfig", "EncoderLM", "Seq2Seq", "Seq2SeqConfig", "greedy_layerwise_pretrain",
            "shift_right"]
__all__ += ["Bert", "BertConfig", "BertEncoder", "BertOutput"]
__all__ += ["Bart", "BartConfig"]
