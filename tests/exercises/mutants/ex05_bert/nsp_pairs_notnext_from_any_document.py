"""Missing case: a NotNext B may come from A's own document."""

import torch


def nsp_pairs(documents, n, generator=None):
    firsts = [(d, i) for d, doc in enumerate(documents) for i in range(len(doc) - 1)]
    pairs = []
    for _ in range(n):
        d, i = firsts[int(torch.randint(len(firsts), (1,), generator=generator))]
        if float(torch.rand(1, generator=generator)) < 0.5:
            pairs.append((documents[d][i], documents[d][i + 1], 0))
            continue
        others = [e for e, doc in enumerate(documents) if doc]
        doc = documents[others[int(torch.randint(len(others), (1,), generator=generator))]]
        pairs.append((documents[d][i], doc[int(torch.randint(len(doc), (1,), generator=generator))], 1))
    return pairs
