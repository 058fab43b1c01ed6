"""Modifies the caller's logits in place."""

def top_k_filter(logits, k):
    k = min(k, logits.shape[-1])
    kth_largest = logits.topk(k, dim=-1).values[..., -1:]
    return logits.masked_fill_(logits < kth_largest, float("-inf"))
