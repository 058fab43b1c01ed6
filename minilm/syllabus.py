"""The course map: every syllabus concept -> the notebook section and the minilm code
that teach it. 00_welcome and the README render this table; a test checks that every
notebook and section named here exists and that every function imports.

``function`` is a dotted path into minilm (None while the chapter is still to come).
``section`` is the text of a Markdown heading in the notebook. In Chinese (``lang="zh"``,
README.zh.md, a notebook of notebooks/zh/) the map takes the concept's title from
``TITLES_ZH`` and the section's heading from the Chinese notebook: the heading at the same
place in the cell with the same id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from minilm.lang import LANGS, in_chinese_notebook, language, t


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
    Concept("AE-1", "Autoencoder", "01_autoencoders_dae", "The autoencoder",
            "minilm.models.autoencoder.Autoencoder", "ex01_autoencoders.autoencoder_forward"),
    Concept("AE-2", "Denoising autoencoder", "01_autoencoders_dae", "Denoising autoencoders",
            "minilm.objectives.autoencoding.masking_noise", "ex01_autoencoders.masking_noise"),
    Concept("AE-3", "Layer-wise pretraining", "01_autoencoders_dae", "Layer-wise pretraining",
            "minilm.models.autoencoder.greedy_layerwise_pretrain"),
    Concept("AE-4", "From DAE to masked LM (and CBOW)", "01_autoencoders_dae",
            "From denoising autoencoders to masked language models", "minilm.models.cbow.CBOW"),
    # AR: autoregressive vs autoencoding ------------------------------------------
    Concept("AR-1", "Autoregressive LM, both directions", "02_ar_vs_ae",
            "Left to right, right to left, and ELMo", "minilm.objectives.directions.combine_directions",
            "ex02_ar_vs_ae.r2l_labels"),
    Concept("AR-2", "Strengths and weaknesses of AR vs AE", "02_ar_vs_ae", "What masked LMs cannot do",
            "minilm.objectives.mlm.mask_tokens"),
    Concept("AR-3", "CLM vs MLM vs Seq2Seq", "02_ar_vs_ae", "Three objectives, one corpus",
            "minilm.models.seq2seq.Seq2Seq", "ex02_ar_vs_ae.clm_labels"),
    Concept("AR-4", "Attention masks are the whole difference", "02_ar_vs_ae",
            "The masks are the whole difference", "minilm.masks.encoder_decoder_masks",
            "ex02_ar_vs_ae.encoder_decoder_masks"),
    # GPT ----------------------------------------------------------------------------
    Concept("GPT-1", "Causal LM objective", "03_gpt_pretraining", "The causal LM objective",
            "minilm.objectives.clm.clm_labels", exercise="ex03_gpt.clm_loss"),
    Concept("GPT-2", "GPT forward with tied embeddings", "03_gpt_pretraining",
            "GPT's forward pass with tied embeddings", "minilm.models.gpt.GPT",
            exercise="ex03_gpt.tied_logits"),
    Concept("GPT-3", "Fine-tuning on the last token", "04_gpt_finetuning_formats",
            "The classifier reads the last token", "minilm.finetune.gpt.GPTClassifier"),
    Concept("GPT-4", "Auxiliary LM loss against forgetting", "04_gpt_finetuning_formats",
            "The auxiliary LM loss against forgetting", "minilm.finetune.gpt.auxiliary_loss",
            exercise="ex04_gpt_finetuning.combined_loss"),
    Concept("GPT-5", "Task-specific input formats", "04_gpt_finetuning_formats",
            "Task-specific input formats", "minilm.finetune.formats.multiple_choice_inputs",
            exercise="ex04_gpt_finetuning.multiple_choice_format"),
    Concept("GPT-6", "Greedy, temperature, top-k, top-p", "03_gpt_pretraining",
            "Generation: greedy, temperature, top-k, top-p", "minilm.generate.generate",
            exercise="ex03_gpt.top_k_filter"),
    # BERT ---------------------------------------------------------------------------
    Concept("BERT-1", "Input: [CLS] A [SEP] B [SEP] + segments", "05_bert_mlm_nsp",
            "BERT-1 · Input: [CLS] A [SEP] B [SEP], three embeddings summed",
            "minilm.objectives.nsp.bert_pair_input", "ex05_bert.segment_ids"),
    Concept("BERT-2", "Masked LM (80/10/10)", "05_bert_mlm_nsp",
            "BERT-2 · Masked LM: 15 % chosen, then 80/10/10", "minilm.objectives.mlm.mask_tokens",
            "ex05_bert.mlm_batch"),
    Concept("BERT-3", "Next sentence prediction", "05_bert_mlm_nsp",
            "BERT-3 · Next sentence prediction: IsNext or NotNext", "minilm.objectives.nsp.make_nsp_pairs",
            "ex05_bert.nsp_pairs"),
    Concept("BERT-4", "Fine-tuning: sequence and token level", "05_bert_mlm_nsp",
            "BERT-4 · Fine-tuning: sequence level and token level",
            "minilm.finetune.bert.BertForSpanExtraction", "ex05_bert.best_span"),
    Concept("BERT-5", "BERT vs GPT vs ELMo", "05_bert_mlm_nsp", "BERT-5 · BERT vs GPT vs ELMo",
            "minilm.finetune.bert_vs_gpt.fill_one_blank"),
    # BART ---------------------------------------------------------------------------
    Concept("BART-1", "Encoder-decoder denoising", "06_bart_noising", "BART: a denoising encoder-decoder",
            "minilm.models.bart.Bart", exercise="ex06_bart.shift_right"),
    Concept("BART-2", "The five noising functions", "06_bart_noising", "BART's five noising functions",
            "minilm.objectives.denoising.text_infilling", exercise="ex06_bart.infilling_spans"),
    Concept("BART-3", "Fine-tuning BART", "06_bart_noising", "Fine-tuning BART",
            "minilm.finetune.bart.BartForSequenceClassification"),
    # GLM ----------------------------------------------------------------------------
    Concept("GLM-1", "Span sampling, Part A", "07_glm_blank_infilling", "Span sampling and Part A",
            "minilm.objectives.blank_infilling.sample_spans", exercise="ex07_glm.sample_spans"),
    Concept("GLM-2", "Part B: shuffled spans, [S] and [E]", "07_glm_blank_infilling",
            "Part B: shuffled spans, [S] and [E]", "minilm.objectives.blank_infilling.glm_sample",
            exercise="ex07_glm.make_part_b"),
    Concept("GLM-3", "The Part A / Part B mask", "07_glm_blank_infilling", "The Part A / Part B mask",
            "minilm.masks.glm_mask", exercise="ex07_glm.glm_batch_mask"),
    Concept("GLM-4", "2D positional encoding", "07_glm_blank_infilling", "2D positional encoding",
            "minilm.objectives.blank_infilling.glm_sample", exercise="ex07_glm.glm_position_ids"),
    Concept("GLM-5", "Architecture changes", "07_glm_blank_infilling", "Architecture changes",
            "minilm.models.glm.GLMConfig"),
    Concept("GLM-6", "NLU as cloze (PET)", "07_glm_blank_infilling", "NLU as cloze (PET)",
            "minilm.finetune.cloze.cloze_logits", exercise="ex07_glm.cloze_log_probs"),
    Concept("GLM-7", "Generating Part B", "07_glm_blank_infilling", "Generating Part B",
            "minilm.generate.fill_blanks"),
    Concept("GLM-8", "The worked example x1..x6", "07_glm_blank_infilling", "The worked example: x1 … x6",
            "minilm.viz.glm.plot_glm_sample", exercise="ex07_glm"),
    # Beyond the articles ------------------------------------------------------------
    Concept("X-1", "T5 span corruption", "06_bart_noising",
            "T5's span corruption next to BART's text infilling",
            "minilm.objectives.span_corruption.span_corruption"),
    Concept("X-2", "XLNet and SpanBERT as contrasts", "07_glm_blank_infilling",
            "XLNet and SpanBERT: what each objective conditions on", None),
    Concept("X-3", "Prefix-LM / UniLM masks", "02_ar_vs_ae", "Prefix LM: between encoder and decoder",
            "minilm.masks.prefix_lm_mask", "ex02_ar_vs_ae.prefix_lm_mask"),
    Concept("X-4", "Equal-compute comparison", "08_capstone", "Six objectives, one model size, one budget",
            "minilm.arena.run.run_arena"),
)

# The notebooks of the course, in order: file stem -> title (the "# NN · Title" cell).
NOTEBOOKS: dict[str, str] = {
    "00_welcome": "Welcome: setup, exercises and the course map",
    "01_autoencoders_dae": "Autoencoders and denoising autoencoders",
    "02_ar_vs_ae": "Autoregressive vs autoencoding: CLM, MLM, Seq2Seq",
    "03_gpt_pretraining": "GPT pretraining",
    "04_gpt_finetuning_formats": "GPT fine-tuning and input formats",
    "05_bert_mlm_nsp": "BERT: masked LM and next sentence prediction",
    "06_bart_noising": "BART's noising functions and T5's span corruption",
    "07_glm_blank_infilling": "GLM: autoregressive blank infilling",
    "08_capstone": "Capstone: the objectives at equal compute",
    "09_real_checkpoints": "Appendix: the published GPT-2, BERT and BART in the course's models",
}

# The concepts' titles in the Chinese edition, in docs/glossary.md's terms.
TITLES_ZH: dict[str, str] = {
    "AE-1": "自编码器",
    "AE-2": "降噪自编码器",
    "AE-3": "逐层预训练",
    "AE-4": "从降噪自编码器到掩码语言模型（及 CBOW）",
    "AR-1": "自回归语言模型：两个方向",
    "AR-2": "自回归与自编码各自的长处和短处",
    "AR-3": "因果语言模型、掩码语言模型与序列到序列",
    "AR-4": "区别全在注意力掩码",
    "GPT-1": "因果语言模型目标",
    "GPT-2": "共享输入输出嵌入的 GPT 前向计算",
    "GPT-3": "微调：读取最后一个词元",
    "GPT-4": "辅助语言模型损失，对抗灾难性遗忘",
    "GPT-5": "任务相关的输入格式",
    "GPT-6": "贪心解码、温度、top-k 采样、top-p 采样",
    "BERT-1": "输入：[CLS] A [SEP] B [SEP] 与段嵌入",
    "BERT-2": "掩码语言模型（80/10/10）",
    "BERT-3": "下一句预测",
    "BERT-4": "微调：序列级与词元级",
    "BERT-5": "双向编码器：BERT、GPT 与 ELMo 对比",
    "BART-1": "编码器-解码器的降噪序列到序列预训练",
    "BART-2": "五种噪声函数",
    "BART-3": "BART 微调",
    "GLM-1": "片段采样与 Part A",
    "GLM-2": "Part B：打乱的片段、[S] 与 [E]",
    "GLM-3": "Part A / Part B 自注意力掩码",
    "GLM-4": "二维位置编码",
    "GLM-5": "结构改动：前置层归一化",
    "GLM-6": "把理解任务写成完形填空（PET）",
    "GLM-7": "生成 Part B",
    "GLM-8": "示例 x1 … x6",
    "X-1": "T5 的片段破坏",
    "X-2": "对照：XLNet 与 SpanBERT",
    "X-3": "前缀语言模型 / UniLM 掩码",
    "X-4": "等算力对比",
}

MAP_START, MAP_END = "<!-- course-map:start -->", "<!-- course-map:end -->"
_ROOT = Path(__file__).resolve().parents[1]


def _source_file(dotted: str) -> str | None:
    """'minilm.models.gpt.GPT' -> 'minilm/models/gpt.py' (the longest prefix that is a file)."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        path = Path(*parts[:n])
        for candidate in (path.with_suffix(".py"), path / "__init__.py"):
            if (_ROOT / candidate).is_file():
                return candidate.as_posix()
    return None


_HEADING = re.compile(r"^#+\s+(.+?)\s*$", re.M)


def chinese_headings(notebook: str, notebooks_dir: Path | None = None) -> dict[str, str]:
    """English heading -> the Chinese notebook's heading at the same place in the cell with
    the same id, for every heading of ``notebook`` that has one ({} without a Chinese twin)."""
    notebooks_dir = notebooks_dir or _ROOT / "notebooks"
    try:
        english = nbformat.read(notebooks_dir / f"{notebook}.ipynb", as_version=4)
        chinese = {c.get("id"): c for c in nbformat.read(notebooks_dir / "zh" / f"{notebook}.ipynb",
                                                          as_version=4).cells}
    except (OSError, ValueError):
        return {}
    pairs: dict[str, str] = {}
    for cell in english.cells:
        headings = _HEADING.findall(cell.source) if cell.cell_type == "markdown" else []
        theirs = _HEADING.findall(chinese[cell.id].source) if headings and cell.get("id") in chinese else []
        if len(theirs) == len(headings):
            for ours, translated in zip(headings, theirs, strict=True):
                pairs.setdefault(ours, translated)
    return pairs


def chinese_section(notebook: str, section: str, notebooks_dir: Path | None = None) -> str:
    """The Chinese notebook's heading for the English ``section`` of ``notebook``
    (``chinese_headings``; the English heading if there is none)."""
    return chinese_headings(notebook, notebooks_dir).get(section, section)


def course_map_markdown(*, root: str = "", notebooks_dir: Path | None = None, compact: bool = False,
                        lang: str | None = None) -> str:
    """The course map as a Markdown table: ID | concept | notebook § section | minilm | exercise.

    ``root`` is the relative path from the document to the repository root: "" for the
    README, "../" for a notebook in notebooks/. Run from a Chinese notebook (notebooks/zh/,
    which shares the English code cells), a notebook's "../" becomes "../../" and the links
    go to the Chinese notebooks. Rows whose notebook is not written yet say
    "coming". The README's copy is regenerated with ``python -m minilm map --update README.md``.

    ``compact=True`` is the form for a notebook cell (about 860 pixels in JupyterLab): the
    notebook as its number, the code and the exercise by their short names (the full dotted
    path is the link's tooltip), every column left-aligned. Dotted paths such as
    ``minilm.objectives.blank_infilling.glm_sample`` cannot wrap, and side by side they made
    the table wider than the cell.
    """
    notebooks_dir = notebooks_dir or _ROOT / "notebooks"
    in_notebook_zh = bool(root) and in_chinese_notebook()
    lang = lang or ("zh" if in_notebook_zh else language())
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    zh = lang == "zh"
    if in_notebook_zh:
        root = "../" + root
    folder = "notebooks/zh/" if zh else "notebooks/"
    rule = "| :--- | :--- | :--- | :--- | :--- |" if compact else "| --- | --- | --- | --- | --- |"
    lines = [t("map.head", lang=lang), rule]
    headings_zh: dict[str, dict[str, str]] = {}
    for c in CONCEPTS:
        if (notebooks_dir / f"{c.notebook}.ipynb").is_file():
            name = c.notebook.split("_")[0] if compact else c.notebook
            where = f"[{name}]({root}{folder}{c.notebook}.ipynb)"
            if zh and c.notebook not in headings_zh:  # each notebook read once, not once per concept
                headings_zh[c.notebook] = chinese_headings(c.notebook, notebooks_dir)
            section = headings_zh[c.notebook].get(c.section, c.section) if zh else c.section
            where += f" § {section}" if section else ""
        else:
            where = f"{c.notebook} ({t('map.coming', lang=lang)})"
        code = "–"
        if c.function:
            source = _source_file(c.function)
            code = _code_link(c.function, f"{root}{source}" if source else None, compact)
        exercise = "–"
        if c.exercise:
            stem = c.exercise.split(".")[0]
            exercises = "exercises/zh/" if zh else "exercises/"
            exercise = _code_link(c.exercise, f"{root}{exercises}{stem}.py", compact)
        title = TITLES_ZH.get(c.id, c.title) if zh else c.title
        lines.append(f"| {c.id} | {title} | {where} | {code} | {exercise} |")
    return "\n".join(lines)


def _code_link(dotted: str, target: str | None, compact: bool) -> str:
    """`` [`a.b.c`](target) ``, or in compact form `` [`c`](target "a.b.c") ``."""
    if not compact:
        return f"[`{dotted}`]({target})" if target else f"`{dotted}`"
    short = dotted.rsplit(".", 1)[-1]
    return f'[`{short}`]({target} "{dotted}")' if target else f"`{short}`"


def update_readme(path: Path) -> bool:
    """Replace the text between MAP_START and MAP_END in ``path`` (the Chinese map in a file
    named ``*.zh.md``); True if it changed."""
    text = Path(path).read_text()
    if MAP_START not in text or MAP_END not in text:
        raise ValueError(f"{path} has no {MAP_START} ... {MAP_END} markers")
    head, rest = text.split(MAP_START, 1)
    _, tail = rest.split(MAP_END, 1)
    lang = "zh" if Path(path).name.endswith(".zh.md") else "en"
    new = f"{head}{MAP_START}\n{course_map_markdown(lang=lang)}\n{MAP_END}{tail}"
    if new != text:
        Path(path).write_text(new)
    return new != text
