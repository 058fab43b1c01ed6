"""The small world every synthetic story and downstream task is set in.

A language model can only learn structure that its data has. So the world behind the
synthetic corpus is fixed and tiny, and every regularity in it is one a learner can
check by hand:

* each person has a fixed gender (he / she), a home town, a favourite food and a job;
* those facts never change: Anna lives in the same town in every story of every corpus,
  because the table is drawn from a generator seeded with the constant ``WORLD_SEED``,
  never from the corpus seed;
* animals come in singular and plural forms, and so do their verbs (the cat runs, the
  cats run);
* sentiment words are split into positive and negative ones.

Everything here is plain data (tuples, a read-only mapping), so a notebook can print it
and a test can check a generated story against it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from types import MappingProxyType

FEMALE_NAMES = ("Anna", "Maria", "Emma", "Sofia", "Clara", "Julia",
                "Nora", "Lucy", "Alice", "Laura", "Mia", "Rosa")
MALE_NAMES = ("Ben", "Tom", "Leo", "Max", "Paul", "Omar",
              "Ivan", "Hugo", "Felix", "David", "Sam", "Jack")
NAMES = FEMALE_NAMES + MALE_NAMES
TOWNS = ("Paris", "London", "Rome", "Berlin", "Madrid", "Oslo",
         "Lima", "Cairo", "Tokyo", "Vienna", "Dublin", "Lisbon")
# Mass or singular nouns only, so "the <food> was good" is always grammatical.
FOODS = ("soup", "bread", "cake", "rice", "pasta", "cheese", "fish", "pizza",
         "salad", "pie", "curry", "honey", "chocolate", "porridge", "stew", "toast")
# Jobs start with a consonant, so "is a {job}" is always right.
JOBS = ("teacher", "doctor", "baker", "farmer", "painter", "driver",
        "singer", "nurse", "cook", "pilot")
# singular -> plural: number agreement is one of the things a model should pick up.
ANIMALS = {"cat": "cats", "dog": "dogs", "bird": "birds", "horse": "horses",
           "rabbit": "rabbits", "fox": "foxes", "mouse": "mice", "goat": "goats",
           "duck": "ducks", "frog": "frogs", "pig": "pigs", "owl": "owls"}
# third person singular -> plural ("the cat sleeps" / "the cats sleep").
ANIMAL_VERBS = {"runs": "run", "sleeps": "sleep", "jumps": "jump", "plays": "play",
                "hides": "hide", "eats": "eat", "swims": "swim", "sits": "sit",
                "waits": "wait", "rests": "rest", "sings": "sing", "dances": "dance"}
COLOURS = ("red", "blue", "green", "yellow", "black", "white",
           "brown", "grey", "orange", "pink")
PLACES = ("park", "market", "library", "beach", "garden", "museum",
          "cafe", "school", "station", "forest", "river", "zoo")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIMES = ("morning", "evening", "night", "afternoon")
MANNERS = ("quietly", "happily", "slowly", "quickly")
NUMBERS = ("two", "three", "four")
# Things one can have an opinion about (foods are the other half).
THINGS = ("film", "book", "game", "song", "trip", "party", "show", "concert", "play", "lesson")
POSITIVE_WORDS = ("good", "great", "lovely", "wonderful", "excellent",
                  "nice", "fantastic", "perfect", "superb", "brilliant")
NEGATIVE_WORDS = ("bad", "awful", "terrible", "horrible", "poor",
                  "dull", "boring", "dreadful", "nasty", "weak")
POSITIVE_FEELINGS = ("happy", "glad", "cheerful", "pleased")
NEGATIVE_FEELINGS = ("sad", "upset", "angry", "unhappy")

# Pronoun -> gender; "her" is both object and possessive, which is fine: both are female.
PRONOUN_GENDER = {"she": "female", "her": "female", "he": "male", "him": "male",
                  "his": "male"}
# The world table is drawn once from this constant seed, so facts are the same in every
# corpus, task and notebook, whatever seed they use for the stories themselves.
WORLD_SEED = 1_000_003


@dataclass(frozen=True)
class Person:
    """One inhabitant of the world and the facts that never change about them."""

    name: str
    gender: str  # "female" or "male"
    town: str
    food: str  # favourite food
    job: str

    @property
    def subject(self) -> str:
        return "she" if self.gender == "female" else "he"

    @property
    def object(self) -> str:
        return "her" if self.gender == "female" else "him"

    @property
    def possessive(self) -> str:
        return "her" if self.gender == "female" else "his"

    def fact(self, relation: str) -> str:
        """The value of ``relation`` ("town", "food" or "job") for this person."""
        if relation not in RELATIONS:
            raise ValueError(f"relation must be one of {RELATIONS}, got {relation!r}")
        return getattr(self, relation)


RELATIONS = ("town", "food", "job")
# Several ways to state one fact. Templates that start with {name} also work with a
# pronoun in place of the name ("She lives in Paris."); the others need the name.
FACT_TEMPLATES = {
    "town": ("{name} lives in {value}.", "{name} has a home in {value}.",
             "The home of {name} is in {value}."),
    "food": ("{name} likes {value}.", "{name} enjoys {value}.",
             "The favourite food of {name} is {value}."),
    "job": ("{name} is a {value}.", "{name} works as a {value}.",
            "{name} has a job as a {value}."),
}
# The same facts as verb phrases, to join two of them with "and".
FACT_PHRASES = {"town": "lives in {value}", "food": "likes {value}", "job": "is a {value}"}
RELATION_VALUES = {"town": TOWNS, "food": FOODS, "job": JOBS}


def _spread(values: tuple[str, ...], n: int, rng: random.Random) -> list[str]:
    """n values, each of ``values`` used at least once (if n allows), in random order.

    Every town must be somebody's home, or it would never appear in the corpus and a
    task that mentions it would meet an unknown word.
    """
    repeated = list(values) * (n // len(values)) + rng.sample(values, n % len(values))
    rng.shuffle(repeated)
    return repeated


def _build_world() -> dict[str, Person]:
    rng = random.Random(WORLD_SEED)
    genders = ["female"] * len(FEMALE_NAMES) + ["male"] * len(MALE_NAMES)
    columns = zip(NAMES, genders, *(_spread(v, len(NAMES), rng) for v in (TOWNS, FOODS, JOBS)),
                  strict=True)
    return {name: Person(name, gender, town, food, job)
            for name, gender, town, food, job in columns}


# name -> Person; read-only so no notebook can quietly change the facts.
WORLD = MappingProxyType(_build_world())
