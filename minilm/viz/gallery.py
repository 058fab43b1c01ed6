"""``gallery.html``: every attention mask of the course in one file that works offline.

An instructor opens it from disk in any browser: no server, no kernel, no network, no
external script or font. Every picture is computed here, in Python, by ``minilm.masks``
(through the mask explorer's ``build_mask``) and stored in the page as SVG; a few lines of
inline script only switch between them:

* a menu picks the mask kind (causal, bidirectional + padding, prefix-LM, encoder self,
  decoder self, cross, GLM Part A / Part B);
* a slider sets the prefix length (prefix-LM) or the number of [PAD] tokens;
* hovering a cell lights up every key its query may read;
* a button switches between the light and the dark theme.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from minilm.viz.export import mask_to_svg
from minilm.viz.plots import ACCENT, BLOCKED, MAY
from minilm.viz.theme import THEMES, check_theme
from minilm.viz.widgets import DEFAULT_TEXT, KINDS, MAX_PADS, build_mask, tokenize

GLM_SPANS = ((2, 3), (4, 6))  # as the GLM paper's example: one 1-token and one 2-token span


def mask_states(text: str = DEFAULT_TEXT) -> dict:
    """For each mask kind: the slider's meaning and, per slider value, the SVG and a caption."""
    tokens = tokenize(text)
    states = {}
    for kind, (label, slider, explanation) in KINDS.items():
        if kind == "glm":
            values = [0]
        elif kind == "prefix":
            values = list(range(len(tokens) + 1))
        else:
            values = list(range(MAX_PADS + 1))
        svgs = []
        for value in values:
            view = build_mask(kind, tokens, length=value, spans=GLM_SPANS)
            svgs.append(mask_to_svg(view["mask"], view["tokens"], query_tokens=view["query_tokens"],
                                    boundaries=view["boundary"], title=label))
        states[kind] = {"label": label, "slider": slider, "explanation": explanation,
                        "values": values, "svgs": svgs}
    return states


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>minilm · attention masks</title>
<style>
  body {{ margin: 0; padding: 24px 32px; font: 20px/1.4 system-ui, -apple-system, "Segoe UI",
         "DejaVu Sans", sans-serif; background: {light_bg}; color: {light_text}; }}
  body.dark {{ background: {dark_bg}; color: {dark_text}; }}
  h1 {{ font-size: 30px; margin: 0 0 12px; }}
  .controls {{ display: flex; flex-wrap: wrap; gap: 18px; align-items: center; margin-bottom: 12px; }}
  select, button {{ font: inherit; padding: 4px 8px; }}
  input[type=range] {{ width: 240px; }}
  #caption {{ max-width: 60em; margin: 8px 0 16px; }}
  #picture svg {{ max-width: 100%; height: auto; }}
  #picture rect.cell.lit {{ fill: {accent}; }}
  body.dark #picture svg > rect:first-of-type {{ fill: {dark_bg}; }}
  body.dark #picture svg text[fill="#1f2933"] {{ fill: {dark_text}; }}
  body.dark #picture svg text[fill="#52606d"] {{ fill: {dark_muted}; }}
  body.dark #picture rect.cell[fill="{blocked}"]:not(.lit) {{ fill: {dark_blocked}; }}
</style></head>
<body class="{theme}">
<h1>Attention masks: who may read whom</h1>
<div class="controls">
  <label>mask <select id="kind">{options}</select></label>
  <label id="slider-box"><span id="slider-name"></span>
    <input id="slider" type="range" min="0" value="0"> <b id="slider-value"></b></label>
  <button id="theme" type="button">light / dark</button>
</div>
<p id="caption"></p>
<div id="picture"></div>
<p>Rows are queries (the token being computed), columns keys (what it may read); blue: may
attend, grey: blocked. Hover a cell to light up everything its query may read. Every picture
was computed by <code>minilm.masks</code>.</p>
<script>
const STATES = {data};
const kind = document.getElementById("kind"), slider = document.getElementById("slider");
function draw() {{
  const s = STATES[kind.value], i = Number(slider.value);
  document.getElementById("slider-box").style.visibility = s.values.length > 1 ? "visible" : "hidden";
  document.getElementById("slider-name").textContent = s.slider;
  document.getElementById("slider-value").textContent = s.values[i];
  document.getElementById("caption").textContent = s.explanation;
  document.getElementById("picture").innerHTML = s.svgs[i];
}}
kind.addEventListener("change", () => {{
  slider.max = STATES[kind.value].values.length - 1; slider.value = 0; draw();
}});
slider.addEventListener("input", draw);
document.getElementById("theme").addEventListener("click", () => document.body.classList.toggle("dark"));
document.getElementById("picture").addEventListener("mouseover", (event) => {{
  const cell = event.target.closest("rect.cell");
  document.querySelectorAll("#picture rect.cell.lit").forEach((c) => c.classList.remove("lit"));
  if (!cell) return;
  document.querySelectorAll(`#picture rect.cell[data-q="${{cell.dataset.q}}"][fill="{may}"]`)
    .forEach((c) => c.classList.add("lit"));
}});
slider.max = STATES[kind.value].values.length - 1;
draw();
</script>
</body></html>
"""


def gallery_html(*, theme: str = "light", text: str = DEFAULT_TEXT) -> str:
    """The whole gallery as one self-contained HTML string."""
    check_theme(theme)
    states = mask_states(text)
    options = "".join(f'<option value="{k}">{html.escape(s["label"])}</option>' for k, s in states.items())
    # "</" inside a script would end it early; the SVG's closing tags are escaped for JSON.
    data = json.dumps(states).replace("</", "<\\/")
    light, dark = THEMES["light"], THEMES["dark"]
    return PAGE.format(light_bg=light["background"], light_text=light["text"], dark_bg=dark["background"],
                       dark_text=dark["text"], dark_muted=dark["muted"], dark_blocked=dark["blocked"],
                       blocked=BLOCKED, accent=ACCENT, may=MAY, theme=theme, options=options, data=data)


def write_gallery(path, *, theme: str = "light", text: str = DEFAULT_TEXT) -> Path:
    """Write ``gallery_html`` to ``path`` (a folder gets ``gallery.html``); returns the file."""
    path = Path(path)
    if path.is_dir():
        path = path / "gallery.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(gallery_html(theme=theme, text=text), encoding="utf-8")
    return path
