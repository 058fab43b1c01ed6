"""Token masking instead: every token of a span becomes a [MASK]."""

def text_infilling(ids, mask_id, spans):
    out = ids.clone()
    for start, end in spans:
        out[start:end] = mask_id
    return out
