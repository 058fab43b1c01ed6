"""CBOW: context windows worked by hand, padding ignored, and words that share contexts
ending up as neighbours."""

import pytest
import torch

from minilm.models import CBOW, CBOWConfig
from minilm.models.cbow import cbow_examples
from minilm.train import train


def test_cbow_examples_hand_worked():
    ids = torch.tensor([[11, 12, 13, 14, 0]])        # four words then a [PAD]
    context, target = cbow_examples(ids, window=1, pad_id=0)
    assert torch.equal(target, torch.tensor([11, 12, 13, 14]))
    assert torch.equal(context, torch.tensor([[0, 12], [11, 13], [12, 14], [13, 0]]))
    context, _ = cbow_examples(ids, window=2, pad_id=0)
    assert torch.equal(context[1], torch.tensor([0, 11, 13, 14]))


def test_empty_slots_are_ignored():
    torch.manual_seed(0)
    model = CBOW(CBOWConfig(vocab_size=20, d_embed=8))
    a = model(torch.tensor([[3, 0, 0, 5]])).hidden_states
    b = model(torch.tensor([[3, 5, 0, 0]])).hidden_states
    torch.testing.assert_close(a, b)   # order and empty slots do not matter: a bag of words
    torch.testing.assert_close(a[0], (model.embed.weight[3] + model.embed.weight[5]) / 2)


def test_bad_input():
    model = CBOW(CBOWConfig(vocab_size=20))
    with pytest.raises(ValueError, match="context"):
        model(torch.tensor([[3, 25]]))
    with pytest.raises(ValueError, match="token_id"):
        model.nearest(20)
    with pytest.raises(ValueError, match="window"):
        CBOWConfig(window=0)


def test_words_in_the_same_contexts_become_neighbours():
    """Sentences 'x <verb> y' where verbs 10..13 all take the same contexts and nouns
    20..23 the same, so verbs cluster with verbs and nouns with nouns."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    nouns, verbs = torch.arange(20, 24), torch.arange(10, 14)

    def batch():
        n = 64
        pick = lambda options: options[torch.randint(len(options), (n,), generator=gen)]  # noqa: E731
        ids = torch.stack([pick(nouns), pick(verbs), pick(nouns), torch.full((n,), 5)], dim=1)
        context, target = cbow_examples(ids, window=1, pad_id=0)
        return {"context": context, "labels": target}

    model = CBOW(CBOWConfig(vocab_size=30, d_embed=16, window=1))
    train(model, batch, steps=200, lr=0.03, progress=False)
    words = torch.cat([verbs, nouns])
    E = torch.nn.functional.normalize(model.embed.weight.detach()[words], dim=-1)
    cosine = E @ E.T                                                   # [8, 8]
    group = torch.block_diag(torch.ones(4, 4), torch.ones(4, 4)).bool()
    same = cosine[group & ~torch.eye(8, dtype=torch.bool)]
    # Every verb is closer to every other verb than to any noun, and the same for nouns.
    # Over seeds 0-9 with 1 thread (0-5 with 2 threads: the same numbers): min(same) -
    # max(across) = 1.07 ... 1.27; same-group cosines 0.98 on average. (The end token 5
    # follows a noun as the verbs do, so it is often a verb's nearest id: not asked here.)
    assert float(same.min() - cosine[~group].max()) > 0.5, cosine
