"""Fine-tuning pretrained models: one module per model family, plus what they share.

Shared: ``batching`` (padding and the last real token), ``classifier`` (a new linear layer
and its classification losses).
GPT-1 (Radford et al., 2018): ``formats`` (the task-specific input transformations with
``<s>``, ``$``, ``<e>``), ``gpt`` (the classifier on h_L^m, the similarity and
multiple-choice heads, L_3 = L_2 + lambda L_1), ``layout`` (a picture of each format),
``gpt_tasks`` (the formats on the synthetic tasks).
BERT (Devlin et al., 2019): ``bert`` (sequence, token and span heads), ``bert_tasks`` (the
synthetic tasks packed for them), ``bert_vs_gpt`` (which context fills a blank best).
BART (Lewis et al., 2020): ``bart`` (classification from the decoder's <e>, tagging,
translation with a new source encoder).
GLM / PET (Du et al., 2022; Schick & Schütze, 2021): ``cloze`` (classification as filling a
blank: a pattern, a verbaliser, the label words' logits at the blank).
"""

from minilm.finetune.bart import (
    BartForSequenceClassification,
    BartForTokenClassification,
    BartForTranslation,
    translation_trainable,
)
from minilm.finetune.batching import collate, last_token_index, pad_sequences
from minilm.finetune.bert import (
    BertForSequenceClassification,
    BertForSpanExtraction,
    BertForTokenClassification,
    best_span,
)
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
from minilm.finetune.gpt import (
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
__all__ += ["BertForSequenceClassification", "BertForSpanExtraction", "BertForTokenClassification",
            "best_span"]
__all__ += ["BartForSequenceClassification", "BartForTokenClassification", "BartForTranslation",
            "translation_trainable"]
