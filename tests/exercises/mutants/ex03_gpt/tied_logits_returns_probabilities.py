"""Returns softmax probabilities, not logits."""

def tied_logits(hidden_states, token_embedding):
    return (hidden_states @ token_embedding.T).softmax(dim=-1)
