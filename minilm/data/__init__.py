"""Data for the course: a synthetic story corpus, downstream tasks, your own text, batches.

* ``world``    - the fixed fact table (who lives where, likes what) behind every story.
* ``corpus``   - ``synthetic_corpus(n_stories, seed=...)``: short stories to pretrain on.
* ``tasks``    - ``make_sentiment``, ``make_entailment``, ... : labelled fine-tuning data.
* ``text``     - ``load_text(path)`` and ``split_sentences(text)`` for the learner's text.
* ``batching`` - ``encode_stream`` and ``lm_windows``: random windows for causal LM.
"""

from minilm.data.batching import encode_stream, lm_windows
from minilm.data.corpus import Story, StoryWriter, synthetic_corpus, write_story
from minilm.data.tasks import (
    SENTIMENT_LABELS,
    TAGS,
    EntailmentExample,
    MultipleChoiceExample,
    SentimentExample,
    SimilarityExample,
    SummarisationExample,
    TaggingExample,
    TranslationExample,
    make_entailment,
    make_multiple_choice,
    make_sentiment,
    make_similarity,
    make_summarisation,
    make_tagging,
    make_translation,
    pseudo_translate,
    tag_text,
)
from minilm.data.text import load_text, split_sentences
from minilm.data.world import FACT_TEMPLATES, PRONOUN_GENDER, RELATIONS, WORLD, Person

__all__ = [
    "FACT_TEMPLATES", "PRONOUN_GENDER", "RELATIONS", "SENTIMENT_LABELS", "TAGS", "WORLD",
    "EntailmentExample", "MultipleChoiceExample", "Person", "SentimentExample",
    "SimilarityExample", "Story", "StoryWriter", "SummarisationExample", "TaggingExample",
    "TranslationExample", "encode_stream", "lm_windows", "load_text", "make_entailment",
    "make_multiple_choice", "make_sentiment", "make_similarity", "make_summarisation",
    "make_tagging", "make_translation", "pseudo_translate", "split_sentences",
    "synthetic_corpus", "tag_text", "write_story",
]
