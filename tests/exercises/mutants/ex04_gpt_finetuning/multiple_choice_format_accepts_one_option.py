"""Missing case: a single option is accepted."""

def multiple_choice_format(context, question, options, start_id, delim_id, extract_id):
    return [[start_id, *context, delim_id, *question, delim_id, *option, extract_id] for option in options]
