"""Both sequences in the same order."""

def similarity_format(a, b, start_id, delim_id, extract_id):
    ab = [start_id, *a, delim_id, *b, extract_id]
    return ab, list(ab)
