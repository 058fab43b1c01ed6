"""Right rates, wrong joint: one random id shared by every replaced position."""

import torch


def mlm_batch(input_ids, attention_mask, *, mask_id, vocab_size, special_ids, mlm_probability=0.15,
              generator=None):
    special = torch.isin(input_ids, torch.tensor(special_ids, dtype=input_ids.dtype))
    chosen = torch.rand(input_ids.shape, generator=generator) < mlm_probability
    chosen = chosen & attention_mask.bool() & ~special
    labels = input_ids.masked_fill(~chosen, -100)
    u = torch.rand(input_ids.shape, generator=generator)
    allowed = torch.tensor([i for i in range(vocab_size) if i not in special_ids])
    one = allowed[torch.randint(len(allowed), (1,), generator=generator)]
    random_ids = one.expand(input_ids.shape)
    inputs = input_ids.masked_fill(chosen & (u < 0.8), mask_id)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_ids, inputs)
    return {"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}
