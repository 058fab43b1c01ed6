"""Adds the log-probabilities but does not renormalise."""

def combine_directions(l2r_log_probs, r2l_log_probs):
    if l2r_log_probs.shape != r2l_log_probs.shape:
        raise ValueError("shapes differ")
    return l2r_log_probs + r2l_log_probs
