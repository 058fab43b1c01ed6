"""Synthetic downstream tasks that share the corpus's vocabulary and world.

Fine-tuning (GPT, BERT, BART, GLM) needs labelled data. These tasks are generated from the
same world and sentence patterns as ``synthetic_corpus``, so a model pretrained on the
corpus already knows every word, and every label follows from a rule you can read here:

==================  ==========================================================  =========
task                example                                                      answer
==================  ==========================================================  =========
sentiment           "Anna loved the film."                                       1
entailment          "Anna lives in Paris and likes soup." / "Anna likes soup."  1
similarity          "Ben likes pie." / "The favourite food of Ben is pie."       1
multiple choice     story + "Where did Anna go on Monday?" + 4 places            index
tagging             ("anna", "lives", "in", "paris", ".")                        NAME O O TOWN O
summarisation       story with a meal  ->  "Anna had a good day at the park."
translation         "She has a red cat."  ->  "eshay ashay away atcay edray."
==================  ==========================================================  =========

Each ``make_<task>(n, *, seed=0)`` returns ``n`` frozen dataclasses. Binary labels are
exactly balanced (half 0, half 1, shuffled) and multiple-choice answers are spread evenly
over the positions, so "always answer 1" scores chance. Each task draws from its own
stream (seeded with the task's name and ``seed``), so ``make_sentiment(seed=0)`` and
``make_entailment(seed=0)`` are independent. The templates are few, so two seeds can
share some examples: build a test set from a different seed and expect a little overlap.

Only the translation targets use new words (a pseudo-language, see ``pseudo_translate``):
train the tokenizer on ``corpus + [ex.tgt for ex in pairs]`` for that task.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import partial

from minilm.checks import check_positive_int
from minilm.data.corpus import StoryWriter, check_seed, write_story
from minilm.data.world import (
    COLOURS,
    FACT_PHRASES,
    FACT_TEMPLATES,
    FOODS,
    NAMES,
    NEGATIVE_FEELINGS,
    NEGATIVE_WORDS,
    PLACES,
    POSITIVE_FEELINGS,
    POSITIVE_WORDS,
    RELATION_VALUES,
    RELATIONS,
    THINGS,
    TOWNS,
    WORLD,
)
from minilm.tokenizer import WORD_RE

SENTIMENT_LABELS = ("negative", "positive")  # label 0, label 1
TAGS = ("O", "NAME", "TOWN", "FOOD")
_TAG_OF = {**{n.lower(): "NAME" for n in NAMES}, **{t.lower(): "TOWN" for t in TOWNS},
           **{f: "FOOD" for f in FOODS}}
_PEOPLE = tuple(WORLD.values())


@dataclass(frozen=True)
class SentimentExample:
    text: str
    label: int  # 1 = positive, 0 = negative


@dataclass(frozen=True)
class EntailmentExample:
    premise: str
    hypothesis: str
    label: int  # 1 = the premise states the hypothesis, 0 = it contradicts it / says otherwise


@dataclass(frozen=True)
class SimilarityExample:
    a: str
    b: str
    label: int  # 1 = a and b state the same fact (paraphrases); symmetric in a and b


@dataclass(frozen=True)
class MultipleChoiceExample:
    context: str
    question: str
    options: tuple[str, ...]
    answer: int  # index into options; the only option that occurs in the context


@dataclass(frozen=True)
class TaggingExample:
    tokens: tuple[str, ...]  # exactly WordTokenizer's tokens (lowercase, punctuation split)
    tags: tuple[str, ...]  # one of TAGS per token


@dataclass(frozen=True)
class SummarisationExample:
    document: str
    summary: str


@dataclass(frozen=True)
class TranslationExample:
    src: str
    tgt: str


def _task_rng(task: str, n: int, seed: int) -> random.Random:
    check_positive_int(n, "n", allow_zero=True)
    # A string seed mixes in the task's name (and is hashed deterministically by random).
    return random.Random(f"minilm.{task}:{check_seed(seed)}")


def _balanced(n: int, n_classes: int, rng: random.Random) -> list[int]:
    """n labels, as evenly spread over the classes as n allows, in random order."""
    labels = [i % n_classes for i in range(n)]
    rng.shuffle(labels)
    return labels


def _fact(template: str, name: str, value: str) -> str:
    return template.format(name=name, value=value)


def make_sentiment(n: int, *, seed: int = 0) -> list[SentimentExample]:
    """Single sentences whose label is the polarity of their one sentiment word."""
    rng = _task_rng("sentiment", n, seed)
    examples = []
    for label in _balanced(n, 2, rng):
        adjective = rng.choice(POSITIVE_WORDS if label else NEGATIVE_WORDS)
        feeling = rng.choice(POSITIVE_FEELINGS if label else NEGATIVE_FEELINGS)
        person, thing = rng.choice(_PEOPLE), rng.choice(THINGS)
        # Nobody dislikes their favourite food (a world rule), so pick another one then.
        food = rng.choice([f for f in FOODS if label or f != person.food])
        text = rng.choice((
            f"The {rng.choice(THINGS + FOODS)} was {adjective}.",
            f"{person.name} thought the {thing} was {adjective}.",
            f"{person.name} {'loved' if label else 'hated'} the {thing}.",
            f"The {thing} was {adjective}, so {person.name} was {feeling}.",
            f"{person.name} ate {food} and was {feeling}.",
        ))
        examples.append(SentimentExample(text, label))
    return examples


def make_entailment(n: int, *, seed: int = 0) -> list[EntailmentExample]:
    """Premise: two world facts about one person. Hypothesis: one fact, true or false."""
    rng = _task_rng("entailment", n, seed)
    examples = []
    for label in _balanced(n, 2, rng):
        person = rng.choice(_PEOPLE)
        first, second = rng.sample(RELATIONS, 2)
        phrases = [_fact(FACT_PHRASES[r], "", person.fact(r)) for r in (first, second)]
        premise = f"{person.name} {phrases[0]} and {phrases[1]}."
        relation = rng.choice((first, second))
        template = rng.choice(FACT_TEMPLATES[relation])
        value = person.fact(relation)
        if label:
            hypothesis = _fact(template, person.name, value)
        elif rng.random() < 0.5:  # contradiction: the same person, another value
            other_value = rng.choice([v for v in RELATION_VALUES[relation] if v != value])
            hypothesis = _fact(template, person.name, other_value)
        else:  # the same value, said of someone for whom it is false
            other = rng.choice([p for p in _PEOPLE if p.fact(relation) != value])
            hypothesis = _fact(template, other.name, value)
        examples.append(EntailmentExample(premise, hypothesis, label))
    return examples


def make_similarity(n: int, *, seed: int = 0) -> list[SimilarityExample]:
    """Two true facts; label 1 when they are the same fact in different words."""
    rng = _task_rng("similarity", n, seed)
    examples = []
    for label in _balanced(n, 2, rng):
        person, relation = rng.choice(_PEOPLE), rng.choice(RELATIONS)
        template_a, template_b = rng.sample(FACT_TEMPLATES[relation], 2)
        a = _fact(template_a, person.name, person.fact(relation))
        if label:
            b = _fact(template_b, person.name, person.fact(relation))
        elif rng.random() < 0.5:  # the same person, another of their facts
            other_relation = rng.choice([r for r in RELATIONS if r != relation])
            template = rng.choice(FACT_TEMPLATES[other_relation])
            b = _fact(template, person.name, person.fact(other_relation))
        else:  # the same kind of fact, about someone else
            other = rng.choice([p for p in _PEOPLE if p is not person])
            b = _fact(template_b, other.name, other.fact(relation))
        if rng.random() < 0.5:  # the order carries no information: the task is symmetric
            a, b = b, a
        examples.append(SimilarityExample(a, b, label))
    return examples


def make_multiple_choice(n: int, *, n_options: int = 4,
                         seed: int = 0) -> list[MultipleChoiceExample]:
    """A short story, a question about it, and ``n_options`` one-word answers.

    The distractors never occur in the story, so the rule "pick the only option the
    context mentions" always finds the answer; a model has to learn *which* word to copy.
    """
    check_positive_int(n_options, "n_options")
    if not 2 <= n_options <= 6:
        raise ValueError(f"n_options must be between 2 and 6, got {n_options}")
    rng = _task_rng("multiple_choice", n, seed)
    examples = []
    for answer in _balanced(n, n_options, rng):
        hero = rng.choice(_PEOPLE)
        writer = StoryWriter(rng, hero)
        writer.intro(qa=False)  # plain forms: the question must not be in the context
        events = [partial(writer.pet, qa=False), partial(writer.outing, qa=False, meal=False),
                  partial(writer.meeting, qa=False)]
        rng.shuffle(events)
        for event in events:
            event()
        details = writer.story.details
        kind = rng.choice(("town", "place", "friend", "colour"))
        if kind == "town":
            question, correct, pool = f"Where does {hero.name} live?", hero.town, TOWNS
        elif kind == "place":
            question, correct = f"Where did {hero.name} go on {details['day']}?", details["place"]
            pool = PLACES
        elif kind == "friend":
            question = f"Who did {hero.name} meet at the {details['meeting_place']}?"
            correct, pool = details["friend"], NAMES
        else:
            be = "are" if details["number"] == "plural" else "is"
            question = f"What colour {be} the {details['animal']}?"
            correct, pool = details["colour"], COLOURS
        context = writer.story.text
        in_context = set(WORD_RE.findall(context.lower()))
        options = rng.sample([o for o in pool if o.lower() not in in_context], n_options - 1)
        options.insert(answer, correct)
        examples.append(MultipleChoiceExample(context, question, tuple(options), answer))
    return examples


def tag_text(text: str) -> TaggingExample:
    """Tag every word of ``text`` by the world's lexicon.

    >>> tag_text("Anna likes soup.").tags
    ('NAME', 'O', 'FOOD', 'O')
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    tokens = tuple(WORD_RE.findall(text.lower()))  # the same split as WordTokenizer
    return TaggingExample(tokens, tuple(_TAG_OF.get(t, "O") for t in tokens))


def make_tagging(n: int, *, seed: int = 0) -> list[TaggingExample]:
    """One or two story sentences, each token tagged NAME, TOWN, FOOD or O."""
    rng = _task_rng("tagging", n, seed)
    examples = []
    for _ in range(n):
        sentences = write_story(rng).sentences
        start = rng.randrange(len(sentences))
        examples.append(tag_text(" ".join(sentences[start:start + rng.choice((1, 2))])))
    return examples


def make_summarisation(n: int, *, seed: int = 0) -> list[SummarisationExample]:
    """A story with one meal out; the summary says who had a good or bad day, and where.

    Rule: "<hero> had a <good|bad> day at the <place>.", where <place> is where the hero
    went and good/bad is the polarity of the meal's adjective.
    """
    rng = _task_rng("summarisation", n, seed)
    examples = []
    for _ in range(n):
        hero = rng.choice(_PEOPLE)
        writer = StoryWriter(rng, hero)
        writer.intro()
        extras = [writer.pet, writer.meeting, partial(writer.fact, "job")]
        events = [partial(writer.outing, meal=True), *rng.sample(extras, rng.randint(0, 2))]
        rng.shuffle(events)
        for event in events:
            event()
        details = writer.story.details
        day = "good" if details["polarity"] == "positive" else "bad"
        summary = f"{hero.name} had a {day} day at the {details['place']}."
        examples.append(SummarisationExample(writer.story.text, summary))
    return examples


def _pig_latin(word: str) -> str:
    if not word[0].isalpha():
        return word  # punctuation and numbers pass through
    if word[0] in "aeiou":
        return word + "way"
    split = 1
    while split < len(word) and word[split] not in "aeiouy":
        split += 1
    return word[split:] + word[:split] + "ay"


def pseudo_translate(text: str) -> str:
    """Translate English into the toy target language of ``make_translation``.

    Two rules, each needing attention to learn: (1) a colour follows the noun it describes
    ("red cat" -> "cat red"), a reordering; (2) every word becomes Pig Latin: leading
    consonants move to the end plus "ay", a leading vowel gets "way" ("cat" -> "atcay").

    >>> pseudo_translate("She has a red cat.")
    'eshay ashay away atcay edray.'
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    words = WORD_RE.findall(text.lower())
    for i in range(len(words) - 1):
        if words[i] in COLOURS and words[i + 1].isalpha() and words[i + 1] not in COLOURS:
            words[i], words[i + 1] = words[i + 1], words[i]
    translated = " ".join(_pig_latin(w) for w in words)
    return re.sub(r" ([^\w\s])", r"\1", translated)  # no space before punctuation


def make_translation(n: int, *, seed: int = 0) -> list[TranslationExample]:
    """Story sentences paired with their ``pseudo_translate`` translation."""
    rng = _task_rng("translation", n, seed)
    examples = []
    for _ in range(n):
        src = rng.choice(write_story(rng).sentences)
        examples.append(TranslationExample(src, pseudo_translate(src)))
    return examples
