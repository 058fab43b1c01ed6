"""No sigmoid on the reconstruction."""

import torch


def autoencoder_forward(x, W, b, W_prime, b_prime):
    y = torch.sigmoid(x @ W.T + b)
    W_prime = W.T if W_prime is None else W_prime
    return y, y @ W_prime.T + b_prime
