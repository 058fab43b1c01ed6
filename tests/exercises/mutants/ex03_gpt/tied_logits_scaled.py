"""Scales the logits by 1 / sqrt(d), as inside attention."""

def tied_logits(hidden_states, token_embedding):
    return hidden_states @ token_embedding.T / token_embedding.shape[1] ** 0.5
