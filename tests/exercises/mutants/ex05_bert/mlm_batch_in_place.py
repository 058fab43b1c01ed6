"""Writes [MASK] into the caller's input_ids."""

import torch


def mlm_batch(input_ids, attention_mask, *, mask_id, vocab_size, special_ids, mlm_probability=0.15,
              generator=None):
    special = torch.isin(input_ids, torch.tensor(special_ids, dtype=input_ids.dtype))
    chosen = torch.rand(input_ids.shape, generator=generator) < mlm_probability
    chosen = chosen & attention_mask.bool() & ~special
    labels = input_ids.masked_fill(~chosen, -100)
    u = torch.rand(input_ids.shape, generator=generator)
    allowed = torch.tensor([i for i in range(vocab_size) if i not in special_ids])
    random_ids = allowed[torch.randint(len(allowed), input_ids.shape, generator=generator)]
    inputs = input_ids.masked_fill_(chosen & (u < 0.8), mask_id)
    inputs = torch.where(chosen & (u >= 0.8) & (u < 0.9), random_ids, inputs)
    return {"input_ids": inputs, "attention_mask": attention_mask, "labels": labels}
