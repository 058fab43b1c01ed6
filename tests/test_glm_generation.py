"""Filling blanks with a GLM: scripted models worked by hand, the cache against a full
recompute, the layout against glm_sample, and bad input."""

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from minilm.generate import fill_blanks, generate_blanks
from minilm.models.common import ModelOutput
from minilm.models.glm import GLM, GLMConfig
from minilm.objectives.blank_infilling import glm_sample
from minilm.tokenizer import WordTokenizer

MASK, S, E = 4, 8, 9
V = 40


class Scripted(nn.Module):
    """A fake GLM whose next token depends only on the last input's 2D position:
    ``script(position_1, position_2) -> token``. It records every input it is given."""

    def __init__(self, script, max_len: int = 32):
        super().__init__()
        self.script, self.config, self.calls = script, SimpleNamespace(max_len=max_len), []
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, position_ids, sep, **kwargs):
        self.calls.append((input_ids.clone(), position_ids.clone(), sep))
        B, T = input_ids.shape
        logits = torch.zeros(B, T, V)
        for t in range(T):
            p1, p2 = position_ids[0, :, t].tolist()
            logits[0, t, self.script(p1, p2)] = 1.0
        return ModelOutput(logits=logits)


def test_one_blank_stops_at_the_end_token():
    # Writes 20, 21, then [E]: position 2 counts 1, 2, 3 along the span.
    model = Scripted(lambda p1, p2: {1: 20, 2: 21}.get(p2, E))
    ids = torch.tensor([11, 12, MASK, 13])
    out = generate_blanks(model, ids, mask_id=MASK, start_id=S, eos_token_id=E, use_cache=False)
    assert out.spans == [[20, 21]] and out.finished == [True]
    assert out.filled_ids.tolist() == [11, 12, 20, 21, 13]
    assert out.input_ids.tolist() == [11, 12, MASK, 13, S, 20, 21]
    assert out.position_ids.tolist() == [[0, 1, 2, 3, 2, 2, 2], [0, 0, 0, 0, 1, 2, 3]]
    assert len(model.calls) == 3, "three predictions: 20, 21 and [E]"
    assert all(sep == 4 for _, _, sep in model.calls), "sep = len(Part A) at every step"
    assert E not in out.input_ids.tolist(), "[E] is a target, never an input"


def test_several_blanks_one_after_another():
    # The blank at Part A index m writes (m % 3) + 1 tokens, all equal to 20 + m.
    model = Scripted(lambda p1, p2: 20 + p1 if p2 <= p1 % 3 + 1 else E)
    ids = torch.tensor([MASK, 11, MASK, 12, 13, MASK])  # blanks at 0, 2, 5
    out = generate_blanks(model, ids, mask_id=MASK, start_id=S, eos_token_id=E, use_cache=False)
    assert out.spans == [[20], [22, 22, 22], [25, 25, 25]]
    assert out.finished == [True, True, True]
    assert out.filled_ids.tolist() == [20, 11, 22, 22, 22, 12, 13, 25, 25, 25]
    # The final context is the training layout of the filled text with z = (1, 2, 3).
    reference = glm_sample(out.filled_ids, [(0, 1), (2, 5), (7, 10)], mask_id=MASK, start_id=S,
                           end_id=E, order=[0, 1, 2])
    assert torch.equal(out.input_ids, reference["input_ids"])
    assert torch.equal(out.position_ids, reference["position_ids"])


def test_max_span_len_cuts_a_span_that_never_ends():
    model = Scripted(lambda p1, p2: 30)
    out = generate_blanks(model, torch.tensor([11, MASK, MASK]), mask_id=MASK, start_id=S, eos_token_id=E,
                          max_span_len=3, use_cache=False)
    assert out.spans == [[30, 30, 30], [30, 30, 30]] and out.finished == [False, False]


def test_a_full_context_window_cuts_the_span_and_keeps_room_for_later_blanks():
    model = Scripted(lambda p1, p2: 30, max_len=10)
    ids = torch.tensor([11, MASK, 12, MASK])  # 4 tokens + 2 [S] leave 4 places for span tokens
    out = generate_blanks(model, ids, mask_id=MASK, start_id=S, eos_token_id=E, max_span_len=6,
                          use_cache=False)
    assert out.finished == [False, False]
    assert [len(span) for span in out.spans] == [4, 0], "the first span takes the room, the second its [S]"
    assert len(out.input_ids) == 10 and out.input_ids.tolist()[-1] == S


@pytest.fixture(scope="module")
def glm():
    torch.manual_seed(0)
    model = GLM(GLMConfig.tiny(V, max_len=32))
    # A random GLM rarely writes [E]; make it likely enough that spans end at different places.
    with torch.no_grad():
        model.embed.token.weight[E] *= 4
    return model.eval()


@pytest.mark.parametrize(("seed", "length", "n_blanks"), [(0, 12, 3), (1, 6, 1), (2, 9, 2), (3, 16, 4),
                                                       (4, 12, 3), (5, 20, 5)])
def test_the_cache_writes_what_a_full_recompute_writes(glm, seed, length, n_blanks):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(10, V, (length,), generator=g)
    ids[torch.randperm(length, generator=g)[:n_blanks]] = MASK
    kwargs = dict(mask_id=MASK, start_id=S, eos_token_id=E, max_span_len=5)
    greedy = [generate_blanks(glm, ids, use_cache=c, **kwargs) for c in (True, False)]
    sampled = [generate_blanks(glm, ids, use_cache=c, do_sample=True,
                               generator=torch.Generator().manual_seed(seed), **kwargs)
               for c in (True, False)]
    for cached, recomputed in (greedy, sampled):
        assert cached.spans == recomputed.spans and cached.finished == recomputed.finished
        assert torch.equal(cached.input_ids, recomputed.input_ids)
        assert torch.equal(cached.position_ids, recomputed.position_ids)
    assert sum(map(len, greedy[0].spans)) > 0, "the comparison is about written tokens"


def test_every_cached_step_feeds_one_new_token_to_the_model(glm):
    calls = []

    class Recording(nn.Module):  # the real GLM, recording what each call is given
        config = glm.config

        def new_cache(self):
            return glm.new_cache()

        def forward(self, input_ids, position_ids, sep, **kwargs):
            calls.append((input_ids.shape[1], "cache" in kwargs))
            return glm(input_ids, position_ids, sep, **kwargs)

    ids = torch.tensor([11, MASK, 12, 13, MASK])
    out = generate_blanks(Recording(), ids, mask_id=MASK, start_id=S, eos_token_id=E, max_span_len=3)
    assert calls[0] == (len(ids) + 1, True), "first call: Part A and the first [S]"
    # every later call feeds the one token read since (a span token or the next blank's [S]),
    # two after a span cut at max_span_len (its last token, unread, then the next [S])
    assert all(uses_cache and n in (1, 2) for n, uses_cache in calls[1:])
    assert sum(n for n, _ in calls) == len(out.input_ids) - (not out.finished[-1])


def test_greedy_tokens_are_the_argmax_of_one_forward_pass_over_the_result(glm):
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(10, V, (10,), generator=g)
    ids[[2, 7]] = MASK
    out = generate_blanks(glm, ids, mask_id=MASK, start_id=S, eos_token_id=E, max_span_len=4)
    logits = glm(out.input_ids[None], out.position_ids[None], out.sep).logits[0]  # [T, V]
    # Each Part B input predicts the next one unless it is the last of its span.
    T, position_2 = len(out.input_ids), out.position_ids[1].tolist()
    for i in range(out.sep, T - 1):
        if position_2[i + 1] > 1:
            assert int(logits[i].argmax()) == int(out.input_ids[i + 1])


def test_greedy_is_deterministic_and_sampling_follows_the_generator(glm):
    ids = torch.tensor([11, 12, MASK, 13, 14, MASK, 15])
    kwargs = dict(mask_id=MASK, start_id=S, eos_token_id=E, max_span_len=6)
    assert generate_blanks(glm, ids, **kwargs).spans == generate_blanks(glm, ids, **kwargs).spans

    def sample(seed):
        return generate_blanks(glm, ids, do_sample=True, temperature=1.5,
                               generator=torch.Generator().manual_seed(seed),
                               **kwargs).spans

    assert sample(1) == sample(1)
    assert len({str(sample(seed)) for seed in range(8)}) > 1, "different seeds, different spans"


def test_the_model_is_left_in_its_training_mode(glm):
    glm.train()
    generate_blanks(glm, torch.tensor([11, MASK]), mask_id=MASK, start_id=S, eos_token_id=E, max_span_len=2)
    assert glm.training
    glm.eval()


def test_fill_blanks_reads_and_writes_text():
    tokenizer = WordTokenizer.train(["anna lives in paris . ben likes soup ."])
    paris, soup = tokenizer.token_to_id("paris"), tokenizer.token_to_id("soup")
    # Position 1 of the first blank is 3 ("anna lives in [MASK]"), of the second 7.
    model = Scripted(lambda p1, p2: ({3: paris, 7: soup}[p1] if p2 == 1 else tokenizer.span_end_token_id),
                     max_len=32)
    out = fill_blanks(model, tokenizer, "anna lives in [MASK] . ben likes [MASK] .", use_cache=False)
    assert out.span_texts == ["paris", "soup"]
    assert out.text == "anna lives in paris. ben likes soup."


def test_bad_inputs_name_the_argument(glm):
    kwargs = dict(mask_id=MASK, start_id=S, eos_token_id=E)
    with pytest.raises(ValueError, match="mask"):
        generate_blanks(glm, torch.tensor([11, 12]), **kwargs)
    with pytest.raises(ValueError, match="ids"):
        generate_blanks(glm, torch.tensor([[11, MASK]]), **kwargs)
    with pytest.raises(TypeError, match="ids"):
        generate_blanks(glm, torch.tensor([1.0, 2.0]), **kwargs)
    with pytest.raises(ValueError, match="max_span_len"):
        generate_blanks(glm, torch.tensor([11, MASK]), max_span_len=31, **kwargs)
    with pytest.raises(ValueError, match="max_len"):
        generate_blanks(glm, torch.full((31,), MASK), **kwargs)
    with pytest.raises(TypeError, match="generator"):
        generate_blanks(glm, torch.tensor([11, MASK]), generator=0, **kwargs)
    with pytest.raises(ValueError, match="temperature"):
        generate_blanks(glm, torch.tensor([11, MASK]), do_sample=True, temperature=-1.0, **kwargs)
    with pytest.raises(ValueError, match="do_sample=True"):
        generate_blanks(glm, torch.tensor([11, MASK]), temperature=0.5, **kwargs)
    with pytest.raises(ValueError, match="top_k"):
        generate_blanks(glm, torch.tensor([11, MASK]), do_sample=True, top_k=0, **kwargs)
    with pytest.raises(ValueError, match="top_p"):
        generate_blanks(glm, torch.tensor([11, MASK]), do_sample=True, top_p=0.0, **kwargs)
    with pytest.raises(ValueError, match="max_span_len"):
        generate_blanks(glm, torch.tensor([11, MASK]), max_span_len=0, **kwargs)
    for name in ("mask_id", "start_id", "eos_token_id"):
        with pytest.raises(ValueError, match=name):
            generate_blanks(glm, torch.tensor([11, MASK]), **{**kwargs, name: V})
    with pytest.raises(TypeError, match="use_cache"):
        generate_blanks(Scripted(lambda p1, p2: E), torch.tensor([11, MASK]), **kwargs)
    tokenizer = WordTokenizer.train(["anna lives in paris ."])
    with pytest.raises(TypeError, match="text_with_masks"):
        fill_blanks(glm, tokenizer, ["anna [MASK]"])
    with pytest.raises(ValueError, match="no \\[MASK\\]"):
        fill_blanks(glm, tokenizer, "anna lives in paris .")
