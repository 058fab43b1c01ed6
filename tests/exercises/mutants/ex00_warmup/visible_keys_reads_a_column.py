"""Wrong axis: lists the queries that may read key ``query``."""

def visible_keys(mask, query):
    return [int(i) for i in mask[:, query].nonzero().flatten()]
