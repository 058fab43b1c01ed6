"""A deterministic synthetic corpus: short stories with structure a tiny model can learn.

Pretraining on real text needs hours; these stories make every objective visibly work in
under a minute on a laptop CPU, because their regularities are few, frequent and known:

* **coreference** - a pronoun always points back to the most recently named person and
  agrees with their gender: "Anna met Ben at the park. He is a baker."
* **number agreement** - "She has a red cat. The cat sleeps." / "... two red cats. The
  cats sleep."
* **world facts** - a person always lives in the same town, likes the same food and has
  the same job (see ``minilm.data.world.WORLD``), in every story of every corpus.
* **cross-sentence consistency** - people enjoy their favourite food, feelings follow the
  meal ("The soup was awful. She was sad."), and a good meal makes a good day.
* **sentiment** - positive and negative words that the downstream tasks reuse.

A story is 3 to 6 sentences of ordinary text ("Anna lives in Paris. She has a red cat.");
the tokenizer splits off the punctuation:

    >>> synthetic_corpus(2, seed=0)[1]
    'The home of Alice is in Berlin. She met Jack at the market. Jack has a home in Madrid.'
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from minilm.checks import check_positive_int
from minilm.data.world import (
    ANIMAL_VERBS,
    ANIMALS,
    COLOURS,
    DAYS,
    FACT_TEMPLATES,
    FOODS,
    MANNERS,
    NEGATIVE_FEELINGS,
    NEGATIVE_WORDS,
    NUMBERS,
    PLACES,
    POSITIVE_FEELINGS,
    POSITIVE_WORDS,
    RELATIONS,
    THINGS,
    TIMES,
    WORLD,
    Person,
)


def check_seed(seed) -> int:
    """Seeds are plain ints, so the same seed always means the same data."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return seed


def article(word: str) -> str:
    """'a' or 'an' ("an orange cat")."""
    return "an" if word[0] in "aeiou" else "a"


@dataclass
class Story:
    """One story: its sentences plus what it says beyond the world facts (for tasks)."""

    hero: Person
    sentences: list[str] = field(default_factory=list)
    # e.g. {"place": "park", "day": "Monday", "friend": "Ben", "colour": "red", ...}
    details: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


class StoryWriter:
    """Writes one story, event by event, remembering who was named last.

    Each event method appends one to four sentences. Whether an event uses its question
    form ("Where did she go on Monday? She went to the park.") is drawn at random unless
    the caller fixes it, which is how the downstream tasks build the documents they need.
    """

    def __init__(self, rng: random.Random, hero: Person) -> None:
        self.rng = rng
        self.story = Story(hero)
        self.last_named: Person | None = None

    @property
    def hero(self) -> Person:
        return self.story.hero

    def ref(self, person: Person, case: str = "subject") -> str:
        """Refer to ``person``: a pronoun only if they were the last person named.

        This one rule gives every story unambiguous coreference, which the tests check.
        """
        if person is self.last_named and self.rng.random() < 0.8:
            return getattr(person, case)
        self.last_named = person
        return person.name

    def say(self, *sentences: str) -> None:
        self.story.sentences.extend(s[0].upper() + s[1:] for s in sentences)

    def _maybe(self, flag: bool | None, p: float) -> bool:
        return self.rng.random() < p if flag is None else flag

    # ---- events ---------------------------------------------------------------------
    def intro(self, *, qa: bool | None = None) -> None:
        hero = self.hero
        if self._maybe(qa, 0.15):
            self.say(f"Where does {self.ref(hero)} live?")
            self.say(f"{self.ref(hero)} lives in {hero.town}.")
        elif self.rng.random() < 0.6:
            self.fact("town")
        elif self.rng.random() < 0.5:
            self.say(f"{self.ref(hero)} is {article(hero.job)} {hero.job} in {hero.town}.")
        else:
            self.say(f"{self.ref(hero)} lives in {hero.town} and likes {hero.food}.")

    def fact(self, relation: str, person: Person | None = None) -> None:
        person = person or self.hero
        who = self.ref(person)
        templates = FACT_TEMPLATES[relation]
        if who != person.name:  # a pronoun only fits the templates that start with it
            templates = tuple(t for t in templates if t.startswith("{name}"))
        self.say(self.rng.choice(templates).format(name=who, value=person.fact(relation)))

    def pet(self, *, qa: bool | None = None) -> None:
        rng, hero = self.rng, self.hero
        animal, colour = rng.choice(list(ANIMALS)), rng.choice(COLOURS)
        plural = rng.random() < 0.4
        noun = ANIMALS[animal] if plural else animal
        if plural:
            self.say(f"{self.ref(hero)} has {rng.choice(NUMBERS)} {colour} {noun}.")
        else:
            self.say(f"{self.ref(hero)} has {article(colour)} {colour} {noun}.")
        self.story.details.update(animal=noun, colour=colour,
                                  number="plural" if plural else "singular")
        if self._maybe(qa, 0.2):
            be, it = ("are", "they") if plural else ("is", "it")
            self.say(f"What colour {be} the {noun}?", f"{it} {be} {colour}.")
        elif rng.random() < 0.8:
            verb = rng.choice(list(ANIMAL_VERBS))
            verb = ANIMAL_VERBS[verb] if plural else verb
            subjects = [f"the {noun}", "they" if plural else "it"]
            if self.last_named is hero:
                subjects.append(f"{hero.possessive} {noun}")
            tail = rng.choice((f"in the {rng.choice(PLACES)}", f"every {rng.choice(TIMES)}",
                               rng.choice(MANNERS)))
            self.say(f"{rng.choice(subjects)} {verb} {tail}.")

    def outing(self, *, qa: bool | None = None, meal: bool | None = None) -> None:
        rng, hero = self.rng, self.hero
        day, place = rng.choice(DAYS), rng.choice(PLACES)
        if self._maybe(qa, 0.15):
            self.say(f"Where did {self.ref(hero)} go on {day}?")
            self.say(f"{self.ref(hero)} went to the {place}.")
        else:
            self.say(f"On {day}, {self.ref(hero)} went to the {place}.")
        self.story.details.update(day=day, place=place)
        if not self._maybe(meal, 0.7):
            return
        food = hero.food if rng.random() < 0.4 else rng.choice(FOODS)
        positive = food == hero.food or rng.random() < 0.5  # everyone enjoys their favourite
        words = POSITIVE_WORDS if positive else NEGATIVE_WORDS
        self.say(f"{self.ref(hero)} ate {food} there.", f"The {food} was {rng.choice(words)}.")
        self.story.details.update(meal=food, polarity="positive" if positive else "negative")
        if rng.random() < 0.6:
            feelings = POSITIVE_FEELINGS if positive else NEGATIVE_FEELINGS
            self.say(f"{self.ref(hero)} was {rng.choice(feelings)}.")

    def meeting(self, *, qa: bool | None = None) -> None:
        rng, hero = self.rng, self.hero
        friend = rng.choice([p for p in WORLD.values() if p is not hero])
        place = rng.choice(PLACES)
        if self._maybe(qa, 0.15):
            self.say(f"Who did {self.ref(hero)} meet at the {place}?")
            self.say(f"{self.ref(hero)} met {friend.name}.")
        else:
            self.say(f"{self.ref(hero)} met {friend.name} at the {place}.")
        self.last_named = friend
        self.story.details.update(friend=friend.name, meeting_place=place)
        if rng.random() < 0.7:
            self.fact(rng.choice(RELATIONS), friend)

    def opinion(self) -> None:
        rng = self.rng
        thing, positive = rng.choice(THINGS), rng.random() < 0.5
        adjective = rng.choice(POSITIVE_WORDS if positive else NEGATIVE_WORDS)
        form = rng.randrange(3)
        if form == 0:
            self.say(f"{self.ref(self.hero)} thought the {thing} was {adjective}.")
        elif form == 1:
            self.say(f"{self.ref(self.hero)} {'loved' if positive else 'hated'} the {thing}.")
        else:
            feeling = rng.choice(POSITIVE_FEELINGS if positive else NEGATIVE_FEELINGS)
            self.say(f"The {thing} was {adjective}, so {self.ref(self.hero)} was {feeling}.")

    def closing(self) -> None:
        polarity = self.story.details.get("polarity")
        if polarity and self.rng.random() < 0.7:  # a good meal made a good day
            day_word = "good" if polarity == "positive" else "bad"
            self.say(f"{self.ref(self.hero)} had a {day_word} day.")
        else:
            when = self.rng.choice(("evening", "afternoon"))
            self.say(f"In the {when}, {self.ref(self.hero)} went home to {self.hero.town}.")

    def try_event(self, event: Callable[[], None], max_sentences: int) -> bool:
        """Run ``event``; undo it if the story would grow past ``max_sentences``."""
        story = self.story
        saved = (len(story.sentences), self.last_named, dict(story.details))
        event()
        if len(story.sentences) <= max_sentences:
            return True
        del story.sentences[saved[0]:]
        self.last_named, story.details = saved[1], saved[2]
        return False


def write_story(rng: random.Random) -> Story:
    """One random story of 3 to 6 sentences about one protagonist (the hero)."""
    writer = StoryWriter(rng, rng.choice(list(WORLD.values())))
    n_sentences = rng.randint(3, 6)
    with_closing = rng.random() < 0.5
    body = n_sentences - with_closing  # leave room for the closing sentence
    writer.intro()
    events = [writer.pet, writer.outing, writer.meeting, writer.opinion,
              partial(writer.fact, "food"), partial(writer.fact, "job")]
    rng.shuffle(events)
    if rng.random() < 0.5:  # the outing is the longest event: give it room in half the stories
        events.insert(0, events.pop(events.index(writer.outing)))
    for event in events:
        if len(writer.story.sentences) >= body:
            break
        writer.try_event(event, body)
    while len(writer.story.sentences) < body:
        writer.opinion()  # always exactly one sentence
    if with_closing:
        writer.closing()
    return writer.story


def synthetic_corpus(n_stories: int = 2000, *, seed: int = 0) -> list[str]:
    """``n_stories`` short stories; the same ``seed`` always gives the same corpus.

    The world facts (who lives where, likes what) do not depend on ``seed``; only which
    stories are told does.
    """
    check_positive_int(n_stories, "n_stories", allow_zero=True)
    rng = random.Random(check_seed(seed))  # a private generator: global state is untouched
    return [write_story(rng).text for _ in range(n_stories)]
