"""Every picture of the course, made for slides: ``python -m minilm viz export --out DIR``.

``FIGURES`` names each still picture and the function that draws it; ``ANIMATIONS`` each
step-by-step sequence (a list of frames). ``export_all`` writes every figure as PNG (200 dpi)
and SVG, every animation as a GIF, and the offline ``gallery.html``, in the light or dark
theme (``minilm.viz.theme``). Every picture is drawn by the same functions the notebooks
use, from the same ``minilm`` code the models run; nothing is redrawn by hand.

    figures: the seven attention masks; BERT's 80/10/10 masking; BART's five noising
             functions; T5's sentinels beside BART's text infilling; GLM's Fig. 2; the
             attention heads of a small trained GPT
    animations: BERT masking one sentence; BART's noising functions one at a time; GLM
             writing Part B token by token
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Callable
from pathlib import Path

import torch

from minilm.viz.theme import check_theme, use_theme

EXPORT_DPI = 200      # PNG resolution for slides: a 9-inch-wide figure is 1800 px
FRAME_DPI = 150       # GIF frames (a GIF of full-resolution frames is many megabytes)
FRAME_MS = 1400       # how long each GIF frame stays on screen
SEED = 0


# ----------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=1)
def course_tokenizer():
    """The word tokenizer of the synthetic corpus (the one the notebooks train)."""
    from minilm.data import synthetic_corpus
    from minilm.tokenizer import WordTokenizer

    return WordTokenizer.train(synthetic_corpus(400, seed=SEED))


EXAMPLE = "Emma is a farmer in London. Her horses jump quietly. She met Jack."


def example_ids(text: str = EXAMPLE) -> torch.Tensor:
    return torch.tensor(course_tokenizer().encode(text))


def _tokens(ids) -> list[str]:
    return course_tokenizer().convert_ids_to_tokens([int(i) for i in ids])


# ----------------------------------------------------------------------------- stills
def mask_figure(kind: str):
    from minilm.viz.plots import plot_mask
    from minilm.viz.widgets import KINDS, build_mask, tokenize

    view = build_mask(kind, tokenize("the cat sat on the mat ."), length=2 if kind != "prefix" else 3,
                      spans=((2, 3), (4, 6)))
    # Slide titles are large: a long one goes on two lines rather than past the figure's edge.
    return plot_mask(view["mask"], view["tokens"], query_tokens=view["query_tokens"],
                     boundaries=view["boundary"], title=textwrap.fill(KINDS[kind][0], 20))


def bert_masking_figure():
    from minilm.objectives.mlm import mask_tokens
    from minilm.viz.bert import plot_mlm_batch

    tok = course_tokenizer()
    sentences = ["Ben has a home in Paris.", "On Sunday, he went to the market.",
                 "Emma is a farmer in London.", "Her horses jump quietly."]
    batch = tok(sentences, add_special_tokens=True)
    inputs, labels = mask_tokens(batch["input_ids"], mask_id=tok.mask_token_id, vocab_size=len(tok),
                                 mlm_probability=0.15, special_ids=tok.special_token_ids,
                                 generator=torch.Generator().manual_seed(3))
    return plot_mlm_batch(batch["input_ids"], inputs, labels, tok, title="BERT: 15 % chosen, then 80/10/10")


def noising_figure(kind: str, seed: int = SEED):
    from minilm.viz.noising import noise_with_info, plot_noising

    tok, ids = course_tokenizer(), example_ids()
    noised, info = noise_with_info(ids, kind, mask_id=tok.mask_token_id, full_stop_id=tok.token_to_id("."),
                                   generator=torch.Generator().manual_seed(seed))
    return plot_noising(_tokens(ids), _tokens(noised), kind, info,
                        title=f"BART noising: {kind.replace('_', ' ')}")


def t5_vs_infilling_figure():
    from minilm.objectives import denoising
    from minilm.objectives.span_corruption import span_corruption
    from minilm.viz.noising import plot_token_rows

    tok, ids = course_tokenizer(), example_ids()
    bart_input, spans = denoising.text_infilling_spans(ids, mask_id=tok.mask_token_id, mask_ratio=0.3,
                                                       generator=torch.Generator().manual_seed(1))
    noise = torch.zeros(len(ids), dtype=torch.bool)
    for start, end in spans:
        noise[start:end] = True
    sentinels = [tok.sentinel_token_id(k) for k in range(tok.n_sentinels)]
    t5_input, t5_target = span_corruption(ids, sentinel_ids=sentinels, noise_mask=noise)
    hidden = ["#fde7b0" if h else None for h in noise.tolist()]

    def marks(row):
        return ["#f6ae2d" if i == tok.mask_token_id else "#a8c5f0" if i in sentinels else None
                for i in row.tolist()]

    rows = [("original", _tokens(ids), hidden), ("BART input", _tokens(bart_input), marks(bart_input)),
            ("BART target", _tokens(ids), hidden), ("T5 input", _tokens(t5_input), marks(t5_input)),
            ("T5 target", _tokens(t5_target), marks(t5_target))]
    return plot_token_rows(rows, title="The same spans: BART's text infilling vs T5's span corruption",
                           caption=f"BART's decoder writes all {len(ids)} tokens; T5's writes "
                                   f"{len(t5_target)}: only the spans, each after its sentinel.")


GLM_NAMES = {4: "[MASK]", 8: "[S]", 9: "[E]", **{10 + k: f"x{k}" for k in range(1, 7)}}


def glm_paper_sample() -> dict:
    """The GLM paper's Fig. 2 example: x1..x6, spans [x3] and [x5, x6], Part B in the order (x5 x6, x3)."""
    from minilm.objectives.blank_infilling import glm_sample

    return glm_sample(torch.tensor([11, 12, 13, 14, 15, 16]), [(2, 3), (4, 6)], mask_id=4, start_id=8,
                      end_id=9, order=[1, 0])


def glm_figure():
    from minilm.viz.glm import plot_glm_sample

    sample = glm_paper_sample()
    tokens = [GLM_NAMES[i] for i in sample["input_ids"].tolist()]
    return plot_glm_sample(sample, tokens, text_tokens=[f"x{k}" for k in range(1, 7)],
                           paper_numbering=True, title="GLM: Part A, Part B and the 2D positions")


def attention_heads_figure(steps: int = 300):
    """The four heads of the last layer of a small GPT trained for ``steps`` steps."""
    import matplotlib.pyplot as plt

    from minilm.data import synthetic_corpus
    from minilm.data.batching import lm_windows
    from minilm.models import GPT, GPTConfig
    from minilm.objectives.clm import clm_labels
    from minilm.train import train
    from minilm.viz.plots import plot_attention

    tok = course_tokenizer()
    stream = torch.tensor([i for text in synthetic_corpus(400, seed=SEED) for i in tok.encode(text)])
    torch.manual_seed(SEED)
    model = GPT(GPTConfig.tiny(len(tok), max_len=32, n_layers=2, n_heads=4))
    gen = torch.Generator().manual_seed(SEED)

    def batch():
        ids = lm_windows(stream, block_size=32, batch_size=16, generator=gen)[:, :-1]
        return {"input_ids": ids, "labels": clm_labels(ids)}

    train(model, batch, steps=steps, lr=3e-3, progress=False)
    ids = example_ids("Ben has a home in Paris. He has four black birds.")[None]
    with torch.no_grad():
        attentions = model.eval()(ids, output_attentions=True).attentions[-1][0]  # [heads, T, T]
    tokens = _tokens(ids[0])
    fig, axes = plt.subplots(2, 2, figsize=(14, 13), layout="constrained")
    for head, ax in enumerate(axes.flat):
        plot_attention(attentions[head], tokens, ax=ax, title=f"head {head}")
    fig.suptitle(f"A small GPT after {steps} steps: the four heads of its last layer", fontweight="bold")
    return fig


FIGURES: dict[str, Callable] = {
    **{f"mask_{kind}": functools.partial(mask_figure, kind)
       for kind in ("causal", "bidirectional", "prefix", "encoder", "decoder", "cross", "glm")},
    "bert_masking": bert_masking_figure,
    **{f"bart_{kind}": functools.partial(noising_figure, kind)
       for kind in ("token_masking", "token_deletion", "text_infilling", "sentence_permutation",
                    "document_rotation")},
    "t5_vs_text_infilling": t5_vs_infilling_figure,
    "glm_fig2": glm_figure,
    "attention_heads": attention_heads_figure,
}


# ----------------------------------------------------------------------------- animations
def bert_masking_frames() -> list:
    """One sentence: as written, the 15 % chosen, then what the model sees (80/10/10)."""
    from minilm.objectives.mlm import mask_tokens
    from minilm.viz.noising import plot_token_rows

    tok = course_tokenizer()
    ids = tok(["On Sunday, he went to the market with Emma and Jack."], add_special_tokens=True)["input_ids"]
    inputs, labels = mask_tokens(ids, mask_id=tok.mask_token_id, vocab_size=len(tok), mlm_probability=0.15,
                                 special_ids=tok.special_token_ids,
                                 generator=torch.Generator().manual_seed(11))
    chosen = (labels[0] != -100).tolist()
    clean, seen = _tokens(ids[0]), _tokens(inputs[0])
    picked = ["#f6ae2d" if c else None for c in chosen]
    shown = [None if not c else "#2563a8" if s == "[MASK]" else "#7fb77e" if s == t else "#d77a61"
             for c, s, t in zip(chosen, seen, clean, strict=True)]
    rows = [("text", clean, None), ("chosen (15 %)", clean, picked), ("model input", seen, shown)]
    captions = ["A sentence with [CLS] and [SEP].", "15 % of the tokens are chosen for prediction.",
                "Of those: 80 % become [MASK], 10 % a random token, 10 % stay as they are."]
    return [plot_token_rows(rows[: k + 1], title="BERT's masked LM, one step at a time", caption=captions[k])
            for k in range(3)]


def bart_noising_frames() -> list:
    """BART's five noising functions, one per frame, on the same document."""
    return [noising_figure(kind) for kind in ("token_masking", "token_deletion", "text_infilling",
                                              "sentence_permutation", "document_rotation")]


def glm_part_b_frames() -> list:
    """GLM generating Part B: one more target token per frame, with the mask growing with it."""
    from minilm.viz.noising import plot_token_rows

    sample = glm_paper_sample()
    tokens = [GLM_NAMES[i] for i in sample["input_ids"].tolist()]
    targets = [GLM_NAMES.get(int(t), "-") for t in sample["labels"].tolist()]
    sep = sample["sep"]
    part_a, part_b, out_b = tokens[:sep], tokens[sep:], targets[sep:]
    frames = []
    for k in range(len(part_b) + 1):
        written = [t if i < k else "?" for i, t in enumerate(out_b)]
        fills = ["#a8c5f0" if i < k else None for i in range(len(out_b))]
        rows = [("Part A (context)", part_a, None), ("Part B input", part_b[: max(k, 1)], None),
                ("predicted", written, fills)]
        caption = ("Each Part B token reads all of Part A and the Part B tokens before it; the span "
                   "ends when the model writes [E].")
        frames.append(plot_token_rows(rows, title=f"GLM fills the blanks: step {k} of {len(part_b)}",
                                      caption=caption))
    return frames


ANIMATIONS: dict[str, Callable[[], list]] = {
    "bert_masking_steps": bert_masking_frames,
    "bart_noising_steps": bart_noising_frames,
    "glm_part_b_steps": glm_part_b_frames,
}


# ----------------------------------------------------------------------------- writing
def frames_to_gif(frames: list, path: Path, *, background: str) -> Path:
    """Render matplotlib figures as one looping GIF; frames are padded to the same size."""
    import matplotlib.pyplot as plt
    from PIL import Image

    images = []
    for fig in frames:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=FRAME_DPI, bbox_inches="tight")
        plt.close(fig)
        images.append(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    width, height = max(i.width for i in images), max(i.height for i in images)
    padded = []
    for image in images:
        canvas = Image.new("RGB", (width, height), background)
        canvas.paste(image, (0, 0))
        padded.append(canvas)
    padded[0].save(path, save_all=True, append_images=padded[1:], duration=FRAME_MS, loop=0)
    return path


def export_all(out, *, theme: str = "light", names=None, progress: bool = True,
               attention_steps: int = 300) -> list[Path]:
    """Write every figure (PNG + SVG), every animation (GIF) and ``gallery.html`` into ``out``.

    ``names`` limits the export to some figures/animations (default: all). Returns the
    paths written, in order.
    """
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    from minilm.viz.gallery import write_gallery
    from minilm.viz.theme import THEMES

    check_theme(theme)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [*FIGURES, *ANIMATIONS] if names is None else list(names)
    unknown = [n for n in jobs if n not in FIGURES and n not in ANIMATIONS]
    if unknown:
        raise ValueError(f"unknown figure names {unknown}; choose from {[*FIGURES, *ANIMATIONS]}")
    written = []
    with use_theme(theme):
        for name in tqdm(jobs, desc="exporting figures", unit="figure", disable=not progress):
            if name in ANIMATIONS:
                written.append(frames_to_gif(ANIMATIONS[name](), out / f"{name}.gif",
                                             background=THEMES[theme]["background"]))
                continue
            draw = FIGURES[name]
            fig = draw(steps=attention_steps) if name == "attention_heads" else draw()
            for suffix in ("png", "svg"):
                path = out / f"{name}.{suffix}"
                fig.savefig(path, dpi=EXPORT_DPI, bbox_inches="tight")
                written.append(path)
            plt.close(fig)
    written.append(write_gallery(out / "gallery.html", theme=theme))
    return written
