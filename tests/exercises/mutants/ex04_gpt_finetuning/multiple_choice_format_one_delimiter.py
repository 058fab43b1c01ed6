"""No delimiter between context and question."""

def multiple_choice_format(context, question, options, start_id, delim_id, extract_id):
    if len(options) < 2:
        raise ValueError("at least 2 options")
    return [[start_id, *context, *question, delim_id, *option, extract_id] for option in options]
