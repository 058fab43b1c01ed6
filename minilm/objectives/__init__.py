"""Pretraining objectives: each turns clean token ids into (model inputs, labels)."""
