"""Biased sampler: every NotNext B is the same sentence (of another document)."""

import torch


def nsp_pairs(documents, n, generator=None):
    firsts = [(d, i) for d, doc in enumerate(documents) for i in range(len(doc) - 1)]
    pairs = []
    for _ in range(n):
        d, i = firsts[int(torch.randint(len(firsts), (1,), generator=generator))]
        if float(torch.rand(1, generator=generator)) < 0.5:
            pairs.append((documents[d][i], documents[d][i + 1], 0))
            continue
        e = next(e for e, doc in enumerate(documents) if e != d and doc)
        pairs.append((documents[d][i], documents[e][0], 1))
    return pairs
