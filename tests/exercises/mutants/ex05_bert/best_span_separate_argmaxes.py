"""Start and end chosen independently, then sorted."""

def best_span(start_logits, end_logits):
    i, j = int(start_logits.argmax()), int(end_logits.argmax())
    return min(i, j), max(i, j)
