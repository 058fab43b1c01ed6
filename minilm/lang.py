"""The course's words outside the notebooks, in English or Chinese: one catalogue.

``MINILM_LANG=zh`` (or a notebook run from ``notebooks/zh/``: its setup cell calls
``use_notebook_language``) turns the grader's score table and hints and the widgets'
labels and captions into Chinese; anything else, or nothing, keeps English.

    t("grade.total")                       # "total" or "合计"
    t("grade.solved", total=4, name="f")   # placeholders as in str.format
    t("mask.causal.label", "causal (GPT)") # text whose English lives beside its code

Matplotlib figures are English unless a font with Chinese glyphs is installed
(``cjk_font``): ``figure_lang()`` says which language a figure may use, so a figure never
shows the empty boxes of missing glyphs.

A leaf module: it imports nothing from ``minilm``.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from pathlib import Path

LANG_ENV = "MINILM_LANG"
LANGS = ("en", "zh")

EN = {
    # the score table and the check cell (minilm.grade, python -m minilm grade)
    "grade.exercise": "exercise",
    "grade.tests_passed": "tests passed",
    "grade.points": "points",
    "grade.total": "total",
    "grade.function": "function",
    "grade.first_failure": "first failure",
    "grade.note.import_error": "(import error)",
    "grade.note.timed_out": "(timed out)",
    "grade.note.stopped_early": "(stopped early)",
    "grade.grading": "Grading {target}/ ({count} exercise{s}) ...",
    "grade.could_not_import": "{exercise}: could not import: {message}",
    "grade.hint": "Fill in the functions in {folder}/ and grade again; add -v to list what does not pass.",
    "grade.import_failed": "{file} could not be imported: {error} Fix it and run this cell again.",
    "grade.stopped": "{problem}. {passed}/{total} tests pass.",
    "grade.solved": "All {total} tests pass: {name} is solved. Well done!",
    "grade.todo_function": ("0/{total} tests pass: {function} in {file} still raises NotImplementedError. "
                            "Fill it in, then run this cell again."),
    "grade.todo_file": ("0/{total} tests pass: the functions in {file} still raise NotImplementedError. "
                        "Fill them in, then run this cell again."),
    "grade.keep_going": "{passed}/{total} tests pass — keep going.",
    "grade.could_not_grade": "could not grade {name!r}: {error}",
    # why a grading process stopped (minilm._grade_run)
    "run.before_any_test": "before any test started",
    "run.in_test": "in {test}",
    "run.importing": "while importing {file} and its exercise",
    "run.timed_out": "timed out after {seconds:g} s {where}",
    "run.timed_out_word": "timed out",  # how the score table tells a timeout from other problems
    "run.killed": "the process was killed by {signal} {where}",
    "run.exited": "the process exited with code {code} {where} (os._exit, or sys.exit outside a test)",
    # the course map (minilm.syllabus.course_map_markdown, python -m minilm map)
    "map.head": "| ID | concept | notebook § section | minilm function | exercise |",
    # the presenter's controls (minilm.viz.presenter)
    "presenter.theme": "theme",
    "presenter.show": "show",
    "map.coming": "coming",
    # widgets: the mask explorer
    "mask.control.kind": "mask",
    "mask.control.sentence": "sentence",
    "mask.control.spans": "GLM spans",
    "mask.control.query": "query",
    "mask.query.none": "none",
    "mask.query.reads": "(query {q}) may attend to {count} key{s}: {keys}",
    # widgets: the noising explorer and its picture
    "noising.control.kind": "noising",
    "noising.control.ratio": "ratio",
    "noising.control.seed": "seed",
    "noising.control.document": "document",
    "noising.row.original": "original",
    "noising.row.noised": "noised",
    # widgets: the generation playground
    "generation.control.temperature": "temperature",
    "generation.control.top_k": "top-k (0=off)",
    "generation.control.top_p": "top-p (1=off)",
    "generation.control.seed": "seed",
    "generation.control.prompt": "prompt",
    "generation.control.button": "Generate",
}

ZH = {
    "grade.exercise": "练习",
    "grade.tests_passed": "通过的测试",
    "grade.points": "得分",
    "grade.total": "合计",
    "grade.function": "函数",
    "grade.first_failure": "第一个未通过的测试",
    "grade.note.import_error": "（导入出错）",
    "grade.note.timed_out": "（超时）",
    "grade.note.stopped_early": "（提前中止）",
    "grade.grading": "正在评分 {target}/（{count} 个练习）……",
    "grade.could_not_import": "{exercise}：无法导入：{message}",
    "grade.hint": "在 {folder}/ 中补全这些函数后再评一次分；加上 -v 可列出所有未通过的测试。",
    "grade.import_failed": "{file} 无法导入：{error} 改正后再运行这个单元格。",
    "grade.stopped": "{problem}。通过 {passed}/{total} 个测试。",
    "grade.solved": "{total} 个测试全部通过：{name} 完成了，做得好！",
    "grade.todo_function": ("通过 0/{total} 个测试：{file} 中的 {function} 仍然抛出 NotImplementedError。"
                            "补全它，再运行这个单元格。"),
    "grade.todo_file": ("通过 0/{total} 个测试：{file} 中的函数仍然抛出 NotImplementedError。"
                        "补全它们，再运行这个单元格。"),
    "grade.keep_going": "通过 {passed}/{total} 个测试，继续加油。",
    "grade.could_not_grade": "无法为 {name!r} 评分：{error}",
    "run.before_any_test": "（还没有开始任何测试）",
    "run.in_test": "（在 {test} 中）",
    "run.importing": "（在导入 {file} 及其练习时）",
    "run.timed_out": "{seconds:g} 秒后超时{where}",
    "run.timed_out_word": "超时",
    "run.killed": "进程被 {signal} 终止{where}",
    "run.exited": "进程以退出码 {code} 结束{where}（os._exit，或在测试之外调用了 sys.exit）",
    "map.head": "| ID | 概念 | notebook § 小节 | minilm 函数 | 练习 |",
    "presenter.theme": "主题",
    "presenter.show": "显示",
    "map.coming": "待写",
    "mask.control.kind": "掩码",
    "mask.control.sentence": "句子",
    "mask.control.spans": "GLM 片段",
    "mask.control.query": "查询",
    "mask.query.none": "无",
    "mask.query.reads": "（查询 {q}）可以关注 {count} 个键：{keys}",
    "mask.causal.label": "因果（GPT）",
    "mask.causal.caption": "每个词元读取它自己和它之前的词元：从左到右的语言模型。",
    "mask.bidirectional.label": "双向 + 填充（BERT）",
    "mask.bidirectional.caption": "每个词元读取所有真实词元；[PAD] 键对所有词元都不可见。",
    "mask.prefix.label": "前缀语言模型（UniLM）",
    "mask.prefix.slider": "前缀",
    "mask.prefix.caption": "前缀内部双向读取；之后的词元读取前缀以及在它之前的词元。",
    "mask.encoder.label": "编码器自注意力",
    "mask.encoder.caption": "编码器双向读取源序列（BART、T5）。",
    "mask.decoder.label": "解码器自注意力",
    "mask.decoder.caption": "解码器像 GPT 一样从左到右读取目标序列。",
    "mask.cross.label": "交叉注意力（解码器 → 编码器）",
    "mask.cross.caption": "每个目标词元读取所有真实的源词元。",
    "mask.glm.label": "GLM Part A / Part B",
    "mask.glm.caption": ("Part A（每个片段替换为一个 [MASK] 的文本）读取整个 Part A；Part B（各个片段，"
                         "每个以 [S] 开头）读取 Part A 以及 Part B 中在它之前的词元。"),
    "noising.control.kind": "加噪方式",
    "noising.control.ratio": "比例",
    "noising.control.seed": "随机种子",
    "noising.control.document": "文档",
    "noising.row.original": "原文",
    "noising.row.noised": "加噪后",
    "noising.title.token_masking": "词元掩码",
    "noising.title.token_deletion": "词元删除",
    "noising.title.text_infilling": "文本填充",
    "noising.title.sentence_permutation": "句子排列变换",
    "noising.title.document_rotation": "文档旋转",
    "noising.caption.token_masking": ("{count} / {n} 个词元（{share:.0%}）被替换为 [MASK]。长度不变，"
                                      "所以模型知道哪里缺了东西。"),
    "noising.caption.token_deletion": ("{count} / {n} 个词元（{share:.0%}）被删除。空缺处没有任何标记："
                                       "模型必须自己找出哪里缺了词元。"),
    "noising.caption.text_infilling": ("{count} 个片段，长度为 {lengths}"
                                       "（泊松分布，λ = {poisson_lambda:g}），"
                                       "覆盖 {covered} / {n} 个词元（{share:.0%}）；"
                                       "每个片段变成一个 [MASK]，"
                                       "所以模型还要推断缺了多少个词元。"),
    "noising.caption.sentence_permutation": "{count} 个句子（在句号处切分），新的顺序为 {order}。",
    "noising.caption.document_rotation": ("从下标为 {start} 的词元（“{token}”，下标从 0 数起）开始旋转，"
                                          "起点均匀抽取；模型必须找出文档真正的开头。"),
    "generation.control.temperature": "温度",
    "generation.control.top_k": "top-k (0=关)",
    "generation.control.top_p": "top-p (1=关)",
    "generation.control.seed": "随机种子",
    "generation.control.prompt": "提示",
    "generation.control.button": "生成",
}

MESSAGES = {"en": EN, "zh": ZH}


def language() -> str:
    """"zh" when ``MINILM_LANG`` is zh (zh_CN, zh-Hans ... also), "en" when it is en or unset."""
    value = os.environ.get(LANG_ENV, "").strip().lower()
    if value in ("", "en") or value.startswith("en_") or value.startswith("en-"):
        return "en"
    if value == "zh" or value[:3] in ("zh_", "zh-"):
        return "zh"
    raise ValueError(f"{LANG_ENV} must be 'en' or 'zh', got {value!r}")


def t(key: str, english: str | None = None, *, lang: str | None = None, **values) -> str:
    """The text of ``key`` in ``lang`` (default: ``language()``), formatted with ``values``.

    ``english`` is the finished English text where it is made beside its code (a widget's
    table of mask kinds, a caption built from numbers): returned as it is, ``values`` only
    fill in the catalogue's text. Otherwise the English comes from this catalogue. A key the
    Chinese catalogue lacks shows in English.
    """
    lang = lang or language()
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    text = MESSAGES[lang].get(key) if lang != "en" else None
    if text is None and english is not None:
        return english
    if text is None:
        text = EN.get(key)
    if text is None:
        raise KeyError(f"no text for {key!r}: add it to minilm.lang.EN")
    return text.format(**values) if values else text


_FIELD = re.compile(r"\{([^{}]+)\}")


def from_template(text: str, catalogue: dict[str, str]) -> str | None:
    """``text`` as made by one of ``catalogue``'s English templates (``"query {i} sees the
    later key {j}"`` made ``"query 3 sees the later key 5"``), in that template's translation
    with the same field values (``"查询 3 看到了在它之后的键 5"``); None if no template made it.
    The template with the most literal text is tried first."""
    for english in sorted(catalogue, key=lambda k: -len(_FIELD.sub("", k))):
        parts = _FIELD.split(english)  # literal, field, literal, field, ..., literal
        regex = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
        match = re.fullmatch(regex, text, re.S)
        if match:
            values = dict(zip(parts[1::2], match.groups(), strict=True))
            return _FIELD.sub(lambda field, values=values: values.get(field[1], field[0]), catalogue[english])
    return None


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (``align`` "<" or ">")."""
    space = " " * max(0, columns - width(text))
    return text + space if align == "<" else space + text


def wrap(text: str, columns: int) -> list[str]:
    """``textwrap.wrap`` by terminal columns that may also break between Chinese characters
    (Chinese has no spaces to break at)."""
    lines, line = [], ""
    for piece in re.findall(r"\s+|[^\s\u2e80-\uffef]+|.", text):
        if line and width(line + piece.rstrip()) > columns:
            lines.append(line.rstrip())
            line = piece.lstrip()
        else:
            line += piece
    return [*lines, line.rstrip()] if line.strip() else lines


def in_chinese_notebook(cwd: Path | None = None) -> bool:
    """Whether this kernel runs a notebook of ``notebooks/zh/``: its working folder is that
    folder, or JupyterLab's ``JPY_SESSION_NAME`` (the notebook's path) lies in it."""
    folders = [Path.cwd() if cwd is None else Path(cwd)]
    if os.environ.get("JPY_SESSION_NAME"):
        folders.append(Path(os.environ["JPY_SESSION_NAME"]).parent)
    return any(f.name == "zh" and f.parent.name == "notebooks" for f in folders)


def use_notebook_language(cwd: Path | None = None) -> str:
    """Set ``MINILM_LANG=zh`` in a Chinese notebook (``in_chinese_notebook``: the Chinese
    notebooks share the English setup cell, so their folder says which language they want),
    unless ``MINILM_LANG`` is set already. Returns the language in use. In Colab the setup
    cell moves to notebooks/: set ``os.environ["MINILM_LANG"] = "zh"`` there yourself."""
    if not os.environ.get(LANG_ENV) and in_chinese_notebook(cwd):
        os.environ[LANG_ENV] = "zh"
    return language()


# --- figures: Chinese text only where a font can draw it ---------------------------------

GLYPH_PROBE = "中文词元掩码片段"  # characters every Chinese caption of the course needs


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed font that draws Chinese (None when there is none).

    A font counts when it has its own glyph for each character of ``GLYPH_PROBE``: a
    fallback font such as matplotlib's "Last Resort" answers every character with the
    same placeholder box, which is exactly what a figure must not show. Simplified Chinese
    fonts come first (a pan-CJK family installs SC, TC, JP and KR variants, whose forms
    of the same character differ), then any other.
    """
    from matplotlib import font_manager, ft2font

    def simplified_first(entry) -> int:
        name = entry.name.upper()
        return 0 if (" SC" in name or "HANS" in name or "GB" in name) else 1

    for entry in sorted(font_manager.fontManager.ttflist, key=simplified_first):
        try:
            font = ft2font.FT2Font(entry.fname)
        except (OSError, RuntimeError, ValueError):
            continue
        glyphs = [font.get_char_index(ord(c)) for c in GLYPH_PROBE]
        if all(glyphs) and len(set(glyphs)) == len(set(GLYPH_PROBE)):
            return entry.name
    return None


def figure_lang() -> str:
    """The language matplotlib figures use: Chinese only when asked for and a Chinese font is
    installed (then it is put first in ``font.sans-serif``), else English."""
    if language() != "zh" or cjk_font() is None:
        return "en"
    import matplotlib

    families = matplotlib.rcParams["font.sans-serif"]
    if families[:1] != [cjk_font()]:
        matplotlib.rcParams["font.sans-serif"] = [cjk_font(), *families]
    matplotlib.rcParams["font.family"] = "sans-serif"
    return "zh"
