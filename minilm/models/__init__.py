"""Every model of the course: a thin composition of ``minilm.nn`` parts plus its heads."""

from minilm.models.common import IGNORE_INDEX, ModelOutput, count_parameters, token_cross_entropy
from minilm.models.glm import GLM, GLMConfig
from minilm.models.gpt import GPT, GPTConfig

__all__ = ["GLM", "GLMConfig", "GPT", "GPTConfig", "IGNORE_INDEX", "ModelOutput", "count_parameters",
           "token_cross_entropy"]
