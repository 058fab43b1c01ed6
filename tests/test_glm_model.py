"""GLM model: Part A is encoded without seeing Part B; Part B is decoded left to right."""

import pytest
import torch

from minilm.models import GLM, GLMConfig


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GLM(GLMConfig.tiny(30)).eval()


def inputs(gen, T=10):
    ids = torch.randint(0, 30, (1, T), generator=gen)
    pos = torch.stack([torch.arange(T), torch.zeros(T, dtype=torch.long)]).unsqueeze(0)
    return ids, pos


def test_part_a_outputs_do_not_depend_on_part_b(model):
    gen = torch.Generator().manual_seed(0)
    ids, pos = inputs(gen)
    sep = 6
    changed = ids.clone()
    changed[0, sep:] = (changed[0, sep:] + 1) % 30  # rewrite all of Part B
    a = model(ids, pos, sep).logits
    b = model(changed, pos, sep).logits
    torch.testing.assert_close(a[:, :sep], b[:, :sep])
    assert not torch.allclose(a[:, sep:], b[:, sep:])


def test_part_b_token_does_not_see_later_part_b_tokens(model):
    gen = torch.Generator().manual_seed(1)
    ids, pos = inputs(gen)
    changed = ids.clone()
    changed[0, 8:] = (changed[0, 8:] + 1) % 30
    a, b = model(ids, pos, 6).logits, model(changed, pos, 6).logits
    torch.testing.assert_close(a[:, :8], b[:, :8])


def test_part_b_sees_all_of_part_a(model):
    gen = torch.Generator().manual_seed(2)
    ids, pos = inputs(gen)
    changed = ids.clone()
    changed[0, 5] = (changed[0, 5] + 1) % 30  # the last Part A token
    a, b = model(ids, pos, 6).logits, model(changed, pos, 6).logits
    assert not torch.allclose(a[:, 6], b[:, 6])


def test_second_position_row_changes_the_output(model):
    gen = torch.Generator().manual_seed(3)
    ids, pos = inputs(gen)
    shifted = pos.clone()
    shifted[0, 1, 6:] = torch.arange(1, 5)  # intra-span positions for Part B
    assert not torch.allclose(model(ids, pos, 6).logits, model(ids, shifted, 6).logits)


def test_glm_config_insists_on_2d_positions():
    with pytest.raises(ValueError, match="position='2d'"):
        GLMConfig(position="learned")


def test_loss_falls_when_trained_to_fill_a_blank_from_part_a():
    """Part A = [a b M d], Part B = [S]; the target after [S] is b, a token Part A shows.

    A model that could not see Part A from Part B would stay at chance (ln 16 ~ 2.8).
    """
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = GLM(GLMConfig.tiny(20, n_layers=1))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    M, S = 18, 19
    losses = []
    for _ in range(100):
        x = torch.randint(0, 16, (16, 4), generator=gen)
        ids = torch.stack([x[:, 0], x[:, 1], torch.full((16,), M), x[:, 3], torch.full((16,), S)], 1)
        pos = torch.tensor([[0, 1, 2, 3, 2], [0, 0, 0, 0, 1]]).expand(16, 2, 5)
        labels = torch.full((16, 5), -100)
        labels[:, 4] = x[:, 1]
        loss = model(ids, pos, 4, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # over seeds 0-4, 1 thread: last-10 / first-10 mean 0.013-0.016
    assert sum(losses[-10:]) / 10 < 0.3 * sum(losses[:10]) / 10


@pytest.mark.parametrize(("T", "sep", "first"), [(10, 6, 7), (12, 4, 5), (9, 8, 9), (14, 6, 10)])
def test_cached_steps_give_the_logits_of_the_full_forward_pass(model, T, sep, first):
    # Part A and the first `first - sep` Part B tokens in one call, then one token per call.
    gen = torch.Generator().manual_seed(T + sep)
    ids, pos = inputs(gen, T)
    pos[0, 1, sep:] = torch.arange(1, T - sep + 1)
    pos[0, 0, sep:] = sep - 1  # Part B sits at its [MASK]'s position
    full = model(ids, pos, sep).logits
    cache = model.new_cache()
    steps = [model(ids[:, :first], pos[:, :, :first], sep, cache=cache).logits]
    steps += [model(ids[:, t:t + 1], pos[:, :, t:t + 1], sep, cache=cache).logits for t in range(first, T)]
    assert len(cache) == T
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=1e-4)


def test_cached_steps_match_with_a_padding_mask_and_a_batch():
    torch.manual_seed(4)
    model = GLM(GLMConfig.tiny(30)).eval()
    gen = torch.Generator().manual_seed(5)
    ids = torch.randint(0, 30, (2, 9), generator=gen)
    pos = torch.stack([torch.arange(9), torch.zeros(9, dtype=torch.long)]).expand(2, 2, 9).clone()
    pos[:, 1, 5:] = torch.arange(1, 5)
    attention_mask = torch.ones(2, 9, dtype=torch.long)
    attention_mask[1, 3:5] = 0  # row 1: two padding tokens at the end of its Part A
    sep = torch.tensor([5, 5])
    full = model(ids, pos, sep, attention_mask=attention_mask).logits
    cache = model.new_cache()
    first = model(ids[:, :6], pos[:, :, :6], sep, attention_mask=attention_mask[:, :6], cache=cache).logits
    steps = [model(ids[:, t:t + 1], pos[:, :, t:t + 1], sep, attention_mask=attention_mask[:, :t + 1],
                   cache=cache).logits for t in range(6, 9)]
    torch.testing.assert_close(torch.cat([first, *steps], dim=1)[:, 5:], full[:, 5:], atol=1e-5, rtol=1e-4)


def test_tie_embeddings_is_honoured_as_in_gpt():
    from minilm.models import GPT, GPTConfig

    for tie in (True, False):
        glm, gpt = GLM(GLMConfig.tiny(30, tie_embeddings=tie)), GPT(GPTConfig.tiny(30, tie_embeddings=tie))
        for m in (glm, gpt):
            assert (m.lm_head.weight is m.embed.token.weight) == tie, (type(m).__name__, tie)
    untied = GLM(GLMConfig.tiny(30, tie_embeddings=False))
    assert not torch.equal(untied.lm_head.weight, untied.embed.token.weight)
    n_tied = sum(p.numel() for p in GLM(GLMConfig.tiny(30)).parameters())
    assert sum(p.numel() for p in untied.parameters()) == n_tied + 30 * 64  # a separate V x d head
