"""The course map: every syllabus concept -> the notebook section and the minilm code
that teach it. 00_welcome and the README render this table; a test checks that every
notebook and section named here exists and that every function imports.

``function`` is a dotted path into minilm (None while the chapter is still to come).
``section`` is the text of a Markdown heading in the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    id: str
    title: str
    notebook: str            # file stem in notebooks/, e.g. "03_gpt_pretraining"
    section: str             # a heading inside that notebook
    function: str | None     # e.g. "minilm.objectives.clm.clm_labels"
    exercise: str | None = None  # e.g. "ex03_gpt.clm_loss" (graded, marked * in the syllabus)


CONCEPTS: tuple[Concept, ...] = (
    # AE: autoencoders and denoising autoencoders ---------------------------------
    Concept("AE-1", "Autoencoder", "01_autoencoders_dae", "", None),
    Concept("AE-2", "Denoising autoencoder", "01_autoencoders_dae", "", None),
    Concept("AE-3", "Layer-wise pretraining", "01_autoencoders_dae", "", None),
    Concept("AE-4", "From DAE to masked LM (and CBOW)", "01_autoencoders_dae", "", None),
    # AR: autoregressive vs autoencoding ------------------------------------------
    Concept("AR-1", "Autoregressive LM, both directions", "02_ar_vs_ae", "", None),
    Concept("AR-2", "Strengths and weaknesses of AR vs AE", "02_ar_vs_ae", "", None),
    Concept("AR-3", "CLM vs MLM vs Seq2Seq", "02_ar_vs_ae", "", None),
    Concept("AR-4", "Attention masks are the whole difference", "02_ar_vs_ae", "",
            "minilm.masks.prefix_lm_mask"),
    # GPT ----------------------------------------------------------------------------
    Concept("GPT-1", "Causal LM objective", "03_gpt_pretraining", "",
            "minilm.objectives.clm.clm_labels"),
    Concept("GPT-2", "GPT forward with tied embeddings", "03_gpt_pretraining", "",
            "minilm.models.gpt.GPT"),
    Concept("GPT-3", "Fine-tuning on the last token", "04_gpt_finetuning_formats", "", None),
    Concept("GPT-4", "Auxiliary LM loss against forgetting", "04_gpt_finetuning_formats", "",
            None),
    Concept("GPT-5", "Task-specific input formats", "04_gpt_finetuning_formats", "", None),
    Concept("GPT-6", "Greedy, temperature, top-k, top-p", "03_gpt_pretraining", "",
            "minilm.generate.generate"),
    # BERT ---------------------------------------------------------------------------
    Concept("BERT-1", "Input: [CLS] A [SEP] B [SEP] + segments", "05_bert_mlm_nsp", "", None),
    Concept("BERT-2", "Masked LM (80/10/10)", "05_bert_mlm_nsp", "", None),
    Concept("BERT-3", "Next sentence prediction", "05_bert_mlm_nsp", "", None),
    Concept("BERT-4", "Fine-tuning: sequence and token level", "05_bert_mlm_nsp", "", None),
    Concept("BERT-5", "BERT vs GPT vs ELMo", "05_bert_mlm_nsp", "", None),
    # BART ---------------------------------------------------------------------------
    Concept("BART-1", "Encoder-decoder denoising", "06_bart_noising", "", None),
    Concept("BART-2", "The five noising functions", "06_bart_noising", "", None),
    Concept("BART-3", "Fine-tuning BART", "06_bart_noising", "", None),
    # GLM ----------------------------------------------------------------------------
    Concept("GLM-1", "Span sampling, Part A", "07_glm_blank_infilling", "", None),
    Concept("GLM-2", "Part B: shuffled spans, [S] and [E]", "07_glm_blank_infilling", "", None),
    Concept("GLM-3", "The Part A / Part B mask", "07_glm_blank_infilling", "",
            "minilm.masks.glm_mask"),
    Concept("GLM-4", "2D positional encoding", "07_glm_blank_infilling", "", None),
    Concept("GLM-5", "Architecture changes", "07_glm_blank_infilling", "", None),
    Concept("GLM-6", "NLU as cloze (PET)", "07_glm_blank_infilling", "", None),
    Concept("GLM-7", "Generating Part B", "07_glm_blank_infilling", "", None),
    Concept("GLM-8", "The worked example x1..x6", "07_glm_blank_infilling", "", None),
    # Beyond the articles ------------------------------------------------------------
    Concept("X-1", "T5 span corruption", "06_bart_noising", "", None),
    Concept("X-2", "XLNet and SpanBERT as contrasts", "07_glm_blank_infilling", "", None),
    Concept("X-3", "Prefix-LM / UniLM masks", "02_ar_vs_ae", "", "minilm.masks.prefix_lm_mask"),
    Concept("X-4", "Equal-compute comparison", "08_capstone", "", None),
)
