"""Off by one: the label at t is the token at t."""



def clm_labels(input_ids, attention_mask=None):
    labels = input_ids.clone()
    if attention_mask is not None:
        labels = labels.masked_fill(~attention_mask.bool(), -100)
    return labels
