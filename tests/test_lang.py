"""MINILM_LANG=zh (minilm.lang): the grader, the widgets and the course map in Chinese, set
by the Chinese notebooks' folder; figures in Chinese only where a font draws it."""

import os
import re
import warnings
from pathlib import Path

import matplotlib
import pytest
import torch

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from minilm import lang  # noqa: E402
from minilm._grade_run import _ending, hung_function  # noqa: E402
from minilm.grade import CheckReport, GradedTest, Score, format_table  # noqa: E402
from minilm.viz import noising, widgets  # noqa: E402


@pytest.fixture
def zh(monkeypatch):
    monkeypatch.setenv("MINILM_LANG", "zh")


@pytest.fixture
def en(monkeypatch):
    """No MINILM_LANG, and whatever a test sets there is undone afterwards."""
    monkeypatch.setenv("MINILM_LANG", "en")
    monkeypatch.delenv("MINILM_LANG")
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------- the catalogue
@pytest.mark.parametrize(("value", "expected"), [("", "en"), ("en", "en"), ("zh", "zh"), ("zh_CN", "zh"),
                                                 ("zh-Hans", "zh"), ("EN_us", "en")])
def test_language_reads_minilm_lang(monkeypatch, value, expected):
    monkeypatch.setenv("MINILM_LANG", value)
    assert lang.language() == expected


def test_an_unknown_language_names_the_variable(monkeypatch):
    monkeypatch.setenv("MINILM_LANG", "fr")
    with pytest.raises(ValueError, match="MINILM_LANG"):
        lang.language()
    with pytest.raises(ValueError, match="lang"):
        lang.t("grade.total", lang="de")


def test_t_formats_the_catalogue_and_keeps_given_english(zh):
    assert lang.t("grade.keep_going", passed=2, total=5) == "通过 2/5 个测试，继续加油。"
    assert lang.t("grade.keep_going", lang="en", passed=2, total=5) == "2/5 tests pass — keep going."
    assert lang.t("mask.causal.label", "causal (GPT)", lang="en") == "causal (GPT)"
    assert lang.t("no.such.key", "a {brace} stays", lang="zh") == "a {brace} stays"  # English as given
    with pytest.raises(KeyError, match="no.such.key"):
        lang.t("no.such.key")


def test_every_chinese_text_has_an_english_one_with_the_same_placeholders():
    english_elsewhere = ({f"mask.{k}.{p}" for k in widgets.KINDS for p in ("label", "slider", "caption")}
                         | {f"noising.{p}.{k}" for k in noising.KINDS for p in ("title", "caption")})
    assert set(lang.ZH) - set(lang.EN) <= english_elsewhere
    fields = re.compile(r"{(\w+)")
    for key in set(lang.ZH) & set(lang.EN):
        assert set(fields.findall(lang.ZH[key])) <= set(fields.findall(lang.EN[key])), key


def test_width_and_pad_count_a_chinese_character_as_two_columns():
    assert lang.width("合计") == 4 and lang.width("total") == 5
    assert lang.pad("合计", 6) == "合计  " and lang.pad("合计", 6, ">") == "  合计"


def test_wrap_breaks_chinese_between_characters_and_english_at_spaces():
    text = "每个片段变成一个 [MASK]，所以模型还要推断缺了多少个词元。"
    lines = lang.wrap(text, 20)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(lang.width(line) <= 20 for line in lines) and len(lines) == 3
    assert lang.wrap("the quick brown fox jumps", 10) == ["the quick", "brown fox", "jumps"]


# ------------------------------------------------------------ which notebooks are Chinese
def test_a_kernel_in_notebooks_zh_turns_chinese_unless_told_otherwise(en, monkeypatch, tmp_path):
    zh_folder = tmp_path / "notebooks" / "zh"
    zh_folder.mkdir(parents=True)
    assert lang.use_notebook_language(tmp_path / "notebooks") == "en" and "MINILM_LANG" not in os.environ
    assert lang.use_notebook_language(zh_folder) == "zh" and os.environ["MINILM_LANG"] == "zh"
    monkeypatch.setenv("MINILM_LANG", "en")  # set by the learner: kept
    assert lang.use_notebook_language(zh_folder) == "en"


def test_jupyterlab_session_name_marks_a_chinese_notebook(monkeypatch, tmp_path):
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "notebooks" / "zh" / "00_welcome.ipynb"))
    assert lang.in_chinese_notebook(tmp_path)
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "notebooks" / "00_welcome.ipynb"))
    assert not lang.in_chinese_notebook(tmp_path)


def test_setup_sets_chinese_in_notebooks_zh(en, monkeypatch, tmp_path):
    from minilm.course import setup

    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks" / "zh")
    threads = torch.get_num_threads()
    try:
        with matplotlib.rc_context():  # setup styles the plots for the whole process
            setup(seed=0, quiet=True)
    finally:
        torch.set_num_threads(threads)
    assert os.environ["MINILM_LANG"] == "zh"


def test_course_map_in_a_chinese_notebook_links_the_chinese_notebooks(en, monkeypatch, tmp_path):
    from minilm.syllabus import course_map_markdown

    monkeypatch.chdir(tmp_path)
    assert "](../notebooks/03_gpt_pretraining.ipynb)" in course_map_markdown(root="../")
    (tmp_path / "notebooks" / "zh").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "notebooks" / "zh")
    table = course_map_markdown(root="../")
    assert "](../../notebooks/zh/03_gpt_pretraining.ipynb)" in table
    assert "](../../exercises/zh/ex03_gpt.py" in table and "](../../minilm/" in table
    assert table.startswith("| ID | 概念 |")
    assert "](notebooks/03_gpt_pretraining.ipynb)" in course_map_markdown()  # the README's: unchanged


# ------------------------------------------------------------------------- the grader
ROWS = [Score("ex00_warmup", 3, 4, 7.5),
        Score("ex01_autoencoders", 0, 2, 0.0, problems=("timed out after 5 s",))]


def test_score_table_in_chinese_lines_up_by_terminal_columns(zh):
    table = format_table(ROWS).splitlines()
    assert table[0].split() == ["练习", "通过的测试", "得分"] and table[-1].startswith("合计")
    assert table[2].endswith("7.5 / 10") and "（超时）" in table[3]
    assert len({lang.width(line) for line in (table[0], table[1], table[2], table[-1])}) == 1


def test_score_table_stays_english_by_default(en):
    table = format_table(ROWS)
    assert table.startswith("exercise") and "(timed out)" in table and "total" in table


def test_check_report_speaks_chinese(zh):
    row = Score("ex00_warmup", 0, 1, 0.0, (GradedTest("test_f", "failed", "NotImplementedError"),))
    text = repr(CheckReport(row, functions=["f"], function="f"))
    assert "f 仍然抛出 NotImplementedError" in text and "第一个未通过的测试" in text
    page = CheckReport(row, functions=["f"])._repr_html_()
    assert "<th" in page and "函数" in page


def test_a_chinese_timeout_still_names_the_hung_function(zh):
    stack = 'Timeout (0:00:05)!\n  File "ROOT/exercises/ex03.py", line 7 in mul\n'
    root = Path("/nonexistent-course")
    ended = _ending(None, stack.replace("ROOT", str(root)), 5, "tests/exercises/test_ex03.py::test_mul", root)
    assert ended == "5 秒后超时（在 test_mul 中） (mul, exercises/ex03.py line 7)"
    assert hung_function(ended) == ("exercises/ex03.py", "mul")
    assert format_table([Score("ex03", 0, 1, 0.0, problems=(ended,))]).count("（超时）") == 1


# ------------------------------------------------------------------------- the widgets
def test_mask_explorer_labels_and_caption_in_chinese(zh):
    explorer = widgets.MaskExplorer("a b c", kind="causal", query=1)
    assert explorer.kind_dropdown.description == "掩码" and explorer.text_box.description == "句子"
    assert ("因果（GPT）", "causal") in explorer.kind_dropdown.options
    assert "从左到右" in explorer.caption.value and "（查询 1）可以关注 2 个键：a b" in explorer.caption.value


def test_mask_explorer_stays_english_by_default(en):
    explorer = widgets.MaskExplorer("a b c", kind="causal", query=1)
    assert explorer.kind_dropdown.description == "mask"
    assert "(query 1) may attend to 2 keys: a b" in explorer.caption.value


def test_noising_picture_in_chinese(zh):
    pic = noising.noising_picture(list("ABCDE"), ["A", "[M]", "D", "[M]", "E"], "text_infilling",
                                  [(1, 3), (4, 4)], poisson_lambda=2.5)
    assert pic.title == "文本填充" and [label for label, _ in pic.rows] == ["原文", "加噪后"]
    assert pic.caption.startswith("2 个片段，长度为 [2, 0]（泊松分布，λ = 2.5），覆盖 2 / 5 个词元（40%）")
    rotated = noising.noising_picture(list("ABCD"), list("CDAB"), "document_rotation", 2)
    assert rotated.caption.startswith("从下标为 2 的词元（“C”，下标从 0 数起）开始旋转")


# ------------------------------------------------- figures: never a missing-glyph box
def glyph_warnings(fig) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_glyph_warnings_are_caught_when_a_font_lacks_chinese():
    """The check below can fail: DejaVu Sans has no Chinese, and drawing with it warns."""
    fig, ax = plt.subplots()
    ax.set_title("文本填充", fontfamily="DejaVu Sans")
    assert glyph_warnings(fig)


def test_a_fallback_font_of_placeholder_boxes_is_no_chinese_font():
    """matplotlib ships "Last Resort", which has a glyph for every character: the same box."""
    from matplotlib import font_manager

    assert lang.cjk_font() is None or "Last Resort" not in lang.cjk_font()
    placeholders = [f.name for f in font_manager.fontManager.ttflist if "Last Resort" in f.name]
    if not placeholders:
        pytest.skip("this matplotlib has no Last Resort font")
    assert lang.cjk_font() not in placeholders


def test_a_chinese_caption_figure_draws_every_glyph_or_falls_back_to_english(zh):
    with matplotlib.rc_context():  # a Chinese font, if used, is put first for the whole process
        figure_with_a_chinese_caption()


def figure_with_a_chinese_caption():
    fig = noising.plot_noising(list("ABCDE"), ["A", "[M]", "D", "[M]", "E"], "text_infilling",
                               [(1, 3), (4, 4)])
    assert glyph_warnings(fig) == []
    texts = " ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))
    if lang.cjk_font() is None:
        assert "Text infilling" in texts and "文本" not in texts
    else:
        assert "文本填充" in texts


def test_without_a_chinese_font_figures_are_english(zh, monkeypatch):
    monkeypatch.setattr(lang, "cjk_font", lambda: None)
    assert lang.figure_lang() == "en"
    fig = widgets.MaskExplorer("a b c", kind="causal").static_figure()
    assert fig.axes[0].get_title() == "causal (GPT)" and glyph_warnings(fig) == []


# --------------------------------------------- messages made from templates (graded tests)
def test_from_template_translates_with_the_same_field_values():
    from minilm.lang import from_template

    catalogue = {"query {i} sees the later key {j}": "查询 {i} 看到了在它之后的键 {j}",
                 "{spans}: mask exactly {budget} tokens": "{spans}：应恰好掩码 {budget} 个词元",
                 "{key}: {value:.3f}": "{key}：{value:.3f}"}
    assert from_template("query 3 sees the later key 5", catalogue) == "查询 3 看到了在它之后的键 5"
    # the template with more literal text wins over the looser "{key}: {value:.3f}"
    assert from_template("[(1, 3)]: mask exactly 4 tokens", catalogue) == "[(1, 3)]：应恰好掩码 4 个词元"
    assert from_template("keep: 0.100", catalogue) == "keep：0.100"
    assert from_template("something else entirely", catalogue) is None
