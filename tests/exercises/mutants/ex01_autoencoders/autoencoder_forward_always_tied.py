"""Missing case: a given decoder matrix W' is ignored (always tied weights)."""

import torch


def autoencoder_forward(x, W, b, W_prime, b_prime):
    y = torch.sigmoid(x @ W.T + b)
    return y, torch.sigmoid(y @ W + b_prime)
