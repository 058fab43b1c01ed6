"""Off by one: counts the [SEP]s up to AND including each position, so the first [SEP] goes to B."""


def segment_ids(input_ids, sep_id):
    sep = (input_ids == sep_id).long()
    upto = sep.cumsum(dim=-1)
    from_here = sep.sum(dim=-1, keepdim=True) - (upto - sep)
    return ((upto == 1) & (from_here >= 1)).long()
