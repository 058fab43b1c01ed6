"""Every model of the course: a thin composition of ``minilm.nn`` parts plus its
pretraining heads. The heads added for fine-tuning live in ``minilm.finetune``."""

from minilm.constants import IGNORE_INDEX
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
from minilm.models.common import ModelOutput, count_parameters
from minilm.models.encoder import EncoderConfig, EncoderLM
from minilm.models.glm import GLM, GLMConfig
from minilm.models.gpt import GPT, GPTConfig
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig
from minilm.models.transformer_lm import TransformerLM
from minilm.objectives.loss import token_cross_entropy  # the loss every model uses
from minilm.objectives.seq2seq import shift_right  # builds Seq2Seq's decoder_input_ids

__all__ = ["GLM", "GLMConfig", "GPT", "GPTConfig", "IGNORE_INDEX", "ModelOutput", "count_parameters",
           "token_cross_entropy", "TransformerLM"]
__all__ += ["Autoencoder", "AutoencoderConfig", "CBOW", "CBOWConfig", "DeepNet", "DeepNetConfig",
            "EncoderConfig", "EncoderLM", "Seq2Seq", "Seq2SeqConfig", "greedy_layerwise_pretrain",
            "shift_right"]
__all__ += ["Bert", "BertConfig", "BertEncoder", "BertOutput"]
__all__ += ["Bart", "BartConfig"]
