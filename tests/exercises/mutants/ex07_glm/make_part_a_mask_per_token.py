"""Token masking instead: one [MASK] per blanked token."""



def make_part_a(ids, spans, mask_id):
    out = ids.clone()
    for start, end in spans:
        out[start:end] = mask_id
    return out
