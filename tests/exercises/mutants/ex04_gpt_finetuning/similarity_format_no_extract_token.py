"""Forgets the extract token <e>."""

def similarity_format(a, b, start_id, delim_id, extract_id):
    return [start_id, *a, delim_id, *b], [start_id, *b, delim_id, *a]
