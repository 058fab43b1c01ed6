"""Fine-tuning pretrained models: input formats, batching, heads and their objectives.

GPT-1 (Radford et al., 2018): ``formats`` (the task-specific input transformations with
``<s>``, ``$``, ``<e>``), ``batching`` (padding and the last real token), ``heads`` (the
classifier on h_L^m, the similarity and multiple-choice heads, L_3 = L_2 + lambda L_1),
``layout`` (a picture of each format), ``gpt_tasks`` (the formats on the synthetic tasks).
GLM / PET (Du et al., 2022; Schick & Schütze, 2021): ``cloze`` (classification as filling a
blank: a pattern, a verbaliser, the label words' logits at the blank).
"""

from minilm.finetune.batching import collate, last_token_index, pad_sequences
from minilm.finetune.cloze import ClozeClassifier, cloze_batch, cloze_logits, cloze_predict, verbaliser_ids
from minilm.finetune.formats import (
    SpecialIds,
    classification_ids,
    classification_input,
    entailment_ids,
    entailment_input,
    multiple_choice_ids,
    multiple_choice_inputs,
    similarity_ids,
    similarity_inputs,
)
from minilm.finetune.heads import (
    ClassifierOutput,
    GPTClassifier,
    GPTMultipleChoice,
    GPTSimilarityClassifier,
    auxiliary_loss,
)

__all__ = [
    "ClassifierOutput", "GPTClassifier", "GPTMultipleChoice", "GPTSimilarityClassifier",
    "SpecialIds", "auxiliary_loss", "classification_ids", "classification_input", "collate",
    "entailment_ids", "entailment_input", "last_token_index", "multiple_choice_ids",
    "multiple_choice_inputs", "pad_sequences", "similarity_ids", "similarity_inputs",
]
__all__ += ["ClozeClassifier", "cloze_batch", "cloze_logits", "cloze_predict", "verbaliser_ids"]
