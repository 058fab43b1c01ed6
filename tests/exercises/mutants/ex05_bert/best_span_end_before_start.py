"""Missing constraint: the end may come before the start."""

def best_span(start_logits, end_logits):
    T = start_logits.shape[0]
    best = int((start_logits[:, None] + end_logits[None, :]).argmax())
    return best // T, best % T
