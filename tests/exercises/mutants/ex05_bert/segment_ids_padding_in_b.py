"""Everything after the first [SEP] is segment B, padding included."""

def segment_ids(input_ids, sep_id):
    sep = (input_ids == sep_id).long()
    before = sep.cumsum(dim=-1) - sep
    return (before >= 1).long()
