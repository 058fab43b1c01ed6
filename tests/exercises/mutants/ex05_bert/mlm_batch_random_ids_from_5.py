"""Hard-coded constant: random ids drawn from randint(5, V), as if the special ids were 0-4."""

import torch


def mlm_batch(input_ids, attention_mask, *, mask_id, vocab_size, special_ids, mlm_probability=0.15,
              generator=None):
    special = torch.isin(input_ids, torch.tensor(special_ids, dtype=input_ids.dtype))
    chosen = torch.rand(input_ids.shape, generator=generator) < mlm_probability
    chosen = chosen & attention_mask.bool() & ~special
    labels = input_ids.masked_fill(~chosen, -100)
    u = torch.rand(input_ids.shape, generator=generator)
    random_ids = torch.randint(5, vocab_size, input_ids.shape, generator=generator)
    inputs = input_ids.masked_fill(chosen & (u < 0.8), mask_id)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_ids, inputs)
    return {"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}
