"""Wrong axis: the top k along the first dimension."""

def top_k_filter(logits, k):
    k = min(k, logits.shape[0])
    kth_largest = logits.topk(k, dim=0).values[-1:]
    return logits.masked_fill(logits < kth_largest, float("-inf"))
