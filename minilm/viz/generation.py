"""DecodingExplorer: one prompt, several samples, and the knobs of ``minilm.generate``.

Temperature, top-k and top-p change *which* of the model's next-token distributions'
tokens can be drawn; the explorer shows what that does to whole samples. Core ipywidgets
only (sliders, a Text box, a Button and an HTML widget), so it renders in JupyterLab,
VS Code and Colab without custom JavaScript; ``static_text()`` is the printed fallback
for GitHub, nbviewer, PDF and CI. Every sample is made by ``minilm.generate.generate``.
"""

from __future__ import annotations

import html

import torch

from minilm import lang
from minilm.checks import check_positive_int
from minilm.device import model_device
from minilm.generate import generate
from minilm.viz.widgets import widget_bundle

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"


def decode_samples(model, tokenizer, prompt: str, *, n_samples: int = 3, max_new_tokens: int = 24,
                   seed: int = 0, **decoding) -> list[str]:
    """``n_samples`` continuations of ``prompt`` (text), decoded; each stops after ``<e>``
    or ``max_new_tokens``. ``decoding`` takes ``minilm.generate.generate``'s arguments and
    defaults: greedy (all samples are then the same) unless ``do_sample=True``
    (``temperature``, ``top_k``, ``top_p``); ``seed`` seeds the sampling."""
    check_positive_int(n_samples, "n_samples")
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, got {type(prompt).__name__}")
    ids = tokenizer.encode(prompt)
    if not ids:
        raise ValueError("prompt has no tokens; type a few words, e.g. '<s> anna'")
    if len(ids) > model.config.max_len:
        ids = ids[-model.config.max_len:]  # the model can only read its context window
    prompt_ids = torch.tensor([ids] * n_samples, device=model_device(model))
    out = generate(model, prompt_ids, max_new_tokens, eos_token_id=tokenizer.eos_token_id,
                   generator=torch.Generator().manual_seed(seed), **decoding)
    texts = []
    for row in out[:, len(ids):].tolist():
        if tokenizer.eos_token_id in row:
            row = row[: row.index(tokenizer.eos_token_id) + 1]
        texts.append(tokenizer.decode(row))
    return texts


def samples_html(prompt: str, samples: list[str], settings: str = "") -> str:
    """The prompt in bold, then one line per sample (plain HTML, no scripts)."""
    rows = "".join(
        f"<div style='margin:2px 0'><span style='color:#888'>{i + 1}.</span> "
        f"<b>{html.escape(prompt)}</b> {html.escape(s)}</div>" for i, s in enumerate(samples))
    head = f"<div style='color:#555;margin-bottom:4px'>{html.escape(settings)}</div>" if settings else ""
    return f"<div style='font-family:{FONT};font-size:13px'>{head}{rows}</div>"


class DecodingExplorer:
    """Sliders for temperature (0 = greedy), top-k (0 = off) and top-p (1 = off), a prompt
    box and a button; the samples appear in an HTML widget.

    >>> explorer = DecodingExplorer(model, tokenizer, "<s> anna")   # doctest: +SKIP
    >>> explorer                      # the controls (in a notebook)
    >>> print(explorer.static_text())  # the same samples as plain text
    """

    def __init__(self, model, tokenizer, prompt: str = "<s> anna", *, n_samples: int = 4,
                 max_new_tokens: int = 24, temperature: float = 1.0, top_k: int = 0,
                 top_p: float = 1.0, seed: int = 0) -> None:
        import ipywidgets as w

        self.model, self.tokenizer = model, tokenizer
        self.n_samples, self.max_new_tokens = check_positive_int(n_samples, "n_samples"), max_new_tokens
        wide = {"description_width": "90px"}
        say = lang.t
        self.temperature_slider = w.FloatSlider(value=temperature, min=0.0, max=2.0, step=0.05, style=wide,
                                                description=say("generation.control.temperature"),
                                                continuous_update=False)
        self.top_k_slider = w.IntSlider(value=top_k, min=0, max=50, style=wide, continuous_update=False,
                                        description=say("generation.control.top_k"))
        self.top_p_slider = w.FloatSlider(value=top_p, min=0.05, max=1.0, step=0.05, style=wide,
                                          description=say("generation.control.top_p"),
                                          continuous_update=False)
        self.seed_slider = w.IntSlider(value=seed, min=0, max=99, description=say("generation.control.seed"),
                                       style=wide)
        self.prompt_box = w.Text(value=prompt, description=say("generation.control.prompt"), style=wide,
                                 layout=w.Layout(width="420px"))
        self.button = w.Button(description=say("generation.control.button"), button_style="primary",
                               icon="play")
        self.view = w.HTML()
        self.widget = w.VBox([w.HBox([self.prompt_box, self.button]),
                              w.HBox([self.temperature_slider, self.top_k_slider]),
                              w.HBox([self.top_p_slider, self.seed_slider]), self.view])
        self.button.on_click(lambda _: self.render())
        self.render()

    def settings(self) -> dict:
        """The ``generate`` arguments the controls stand for: ``{"do_sample": False}``
        (greedy) at temperature 0, else sampling with the filters that are on."""
        if self.temperature_slider.value == 0:
            return {"do_sample": False}
        settings = {"do_sample": True, "temperature": self.temperature_slider.value}
        if self.top_k_slider.value:
            settings["top_k"] = self.top_k_slider.value
        if self.top_p_slider.value < 1.0:
            settings["top_p"] = self.top_p_slider.value
        return settings

    def render(self) -> None:
        """Generate with the current settings and show the samples."""
        s = self.settings()
        try:
            self.samples = decode_samples(self.model, self.tokenizer, self.prompt_box.value,
                                          n_samples=self.n_samples, max_new_tokens=self.max_new_tokens,
                                          seed=self.seed_slider.value, **s)
        except ValueError as e:  # an empty prompt, say: say so instead of raising in a callback
            self.samples = []
            self.view.value = f"<div style='color:#c0162c'>{html.escape(str(e))}</div>"
            return
        label = ", ".join(f"{k}={v}" for k, v in s.items())
        self.view.value = samples_html(self.prompt_box.value, self.samples, label)

    def static_text(self) -> str:
        """The current samples as plain text (the fallback where widgets don't render)."""
        label = ", ".join(f"{k}={v}" for k, v in self.settings().items())
        prompt = self.prompt_box.value
        return "\n".join([f"{label}:"] + [f"  {i + 1}. {prompt} {s}" for i, s in enumerate(self.samples)])

    def _repr_mimebundle_(self, **kwargs):
        data = widget_bundle(self.widget, self.view.value, **kwargs)  # without widgets: the samples
        data["text/plain"] = self.static_text()
        return data

    def __repr__(self) -> str:
        return self.static_text()
