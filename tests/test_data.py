"""Tests of minilm.data: the corpus's structure, the tasks' rules, text files, LM batches."""

from __future__ import annotations

import dataclasses
import doctest
import random
from collections import Counter

import pytest
import torch

from minilm.data import (
    PRONOUN_GENDER,
    RELATIONS,
    TAGS,
    WORLD,
    encode_stream,
    lm_windows,
    load_text,
    make_entailment,
    make_multiple_choice,
    make_sentiment,
    make_similarity,
    make_summarisation,
    make_tagging,
    make_translation,
    pseudo_translate,
    split_sentences,
    synthetic_corpus,
    tag_text,
)
from minilm.data import corpus as corpus_module
from minilm.data import tasks as tasks_module
from minilm.data import text as text_module
from minilm.data import world as W
from minilm.tokenizer import WORD_RE, WordTokenizer

PEOPLE = {name.lower(): person for name, person in WORLD.items()}
TOWNS = {t.lower() for t in W.TOWNS}
POSITIVE = set(W.POSITIVE_WORDS) | set(W.POSITIVE_FEELINGS) | {"loved"}
NEGATIVE = set(W.NEGATIVE_WORDS) | set(W.NEGATIVE_FEELINGS) | {"hated"}


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return synthetic_corpus(2000, seed=0)


def words(text: str) -> list[str]:
    return WORD_RE.findall(text.lower())


def sentences_with_people(story: str):
    """Yield (tokens, people) per sentence, each pronoun resolved to the last name."""
    last = None
    for sentence in split_sentences(story):
        people = []
        for token in words(sentence):
            if token in PEOPLE:
                last = PEOPLE[token]
                people.append(last)
            elif token in PRONOUN_GENDER:
                assert last is not None, f"pronoun before any name in: {story}"
                assert last.gender == PRONOUN_GENDER[token], f"{token!r} for {last.name}: {story}"
                people.append(last)
        yield words(sentence), people


# ---- the corpus -------------------------------------------------------------------------
def test_corpus_is_deterministic_and_seeded():
    assert synthetic_corpus(50, seed=3) == synthetic_corpus(50, seed=3)
    assert synthetic_corpus(50, seed=3) != synthetic_corpus(50, seed=4)
    assert synthetic_corpus(10, seed=0) == synthetic_corpus(20, seed=0)[:10]
    assert synthetic_corpus(0) == []


def test_corpus_leaves_global_rng_alone():
    random.seed(123)
    torch.manual_seed(123)
    expected = (random.random(), torch.rand(1))
    random.seed(123)
    torch.manual_seed(123)
    synthetic_corpus(20, seed=5)
    make_multiple_choice(20)
    assert (random.random(), torch.rand(1)) == expected


def test_a_larger_corpus_extends_a_smaller_one_story_by_story():
    # Stories are drawn one after another from one seeded stream, so asking for more
    # stories adds to the end and never reshuffles the ones before (how long it takes is
    # in benchmarks/bench_data.py).
    small, large = synthetic_corpus(20, seed=1), synthetic_corpus(2000, seed=1)
    assert len(large) == 2000 and large[:20] == small
    assert len(set(large)) > 1900  # varied stories, not one repeated


def test_stories_have_three_to_six_sentences(corpus):
    for story in corpus:
        sentences = split_sentences(story)
        assert 3 <= len(sentences) <= 6, story
        assert all(s[0].isupper() and s[-1] in ".?" for s in sentences), story


def test_vocabulary_size_is_a_few_hundred_words(corpus):
    types = {w for story in corpus for w in words(story)}
    assert 200 <= len(types) <= 500
    # every word of the world is used, so tasks never meet an unknown word
    for name in (*W.NAMES, *W.TOWNS, *W.FOODS, *W.JOBS, *W.COLOURS, *W.PLACES):
        assert name.lower() in types, name


def test_pronouns_agree_with_the_last_named_person(corpus):
    n_pronouns = 0
    for story in corpus:
        for tokens, _ in sentences_with_people(story):  # asserts the agreement itself
            n_pronouns += sum(t in PRONOUN_GENDER for t in tokens)
    assert n_pronouns > 2000  # pronouns are common, so the rule is really exercised


@pytest.mark.parametrize("seed", [0, 1])
def test_world_facts_are_consistent_across_stories_and_seeds(seed):
    seen: dict[str, set[str]] = {}
    for story in synthetic_corpus(1000, seed=seed):
        for tokens, people in sentences_with_people(story):
            for town in TOWNS.intersection(tokens):  # a sentence with a town is about one person
                assert len(set(people)) == 1 and people[0].town.lower() == town, story
                seen.setdefault(people[0].name, set()).add(town)
            if {"likes", "enjoys", "favourite"} & set(tokens):
                foods = set(W.FOODS).intersection(tokens)
                assert foods == {people[-1].food}, story
            for job in set(W.JOBS).intersection(tokens):
                assert people[-1].job == job, story
    assert all(len(towns) == 1 for towns in seen.values())
    assert len(seen) == len(WORLD)


def test_number_agreement(corpus):
    singular, plural = set(W.ANIMALS), set(W.ANIMALS.values())
    checked = 0
    for story in corpus:
        tokens = words(story)
        for noun, verb in zip(tokens, tokens[1:], strict=False):
            if verb in W.ANIMAL_VERBS or verb in W.ANIMAL_VERBS.values():
                if noun in singular or noun == "it":
                    assert verb in W.ANIMAL_VERBS, story
                    checked += 1
                elif noun in plural or noun == "they":
                    assert verb in W.ANIMAL_VERBS.values(), story
                    checked += 1
    assert checked > 150


def test_favourite_food_is_always_enjoyed(corpus):
    checked = 0
    for story in corpus:
        resolved = list(sentences_with_people(story))
        for (ate, people), (verdict, _) in zip(resolved, resolved[1:], strict=False):
            if "ate" in ate and ate[ate.index("ate") + 1] == people[0].food:
                assert verdict[-2] in W.POSITIVE_WORDS, story  # "the <food> was <adj> ."
                checked += 1
    assert checked > 30


def test_world_table_is_fixed():
    assert W._build_world() == dict(WORLD)
    assert {p.gender for p in WORLD.values()} == {"female", "male"}
    assert {p.town for p in WORLD.values()} == set(W.TOWNS)  # every town is someone's home
    with pytest.raises(TypeError):
        WORLD["Anna"] = None  # read-only


# ---- downstream tasks -------------------------------------------------------------------
ALL_TASKS = [make_sentiment, make_entailment, make_similarity, make_multiple_choice,
             make_tagging, make_summarisation, make_translation]


@pytest.mark.parametrize("make", ALL_TASKS)
def test_tasks_are_deterministic_frozen_and_sized(make):
    first = make(40, seed=0)
    assert len(first) == 40 and first == make(40, seed=0)
    assert first != make(40, seed=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first[0].__setattr__(dataclasses.fields(first[0])[0].name, None)


@pytest.mark.parametrize("make", [make_sentiment, make_entailment, make_similarity])
def test_binary_labels_are_balanced(make):
    counts = Counter(example.label for example in make(1000, seed=2))
    assert set(counts) == {0, 1}
    assert 450 <= counts[1] <= 550


def test_tasks_share_the_corpus_vocabulary(corpus):
    tok = WordTokenizer.train(corpus)
    for make in ALL_TASKS[:-1]:  # translation targets are a new language on purpose
        for example in make(300, seed=0):
            for value in dataclasses.astuple(example):
                texts = value if isinstance(value, tuple) else (value,)
                for text in (t for t in texts if isinstance(t, str) and t not in TAGS):
                    assert tok.unk_token_id not in tok.encode(text), (make.__name__, text)


def test_sentiment_label_follows_its_word():
    for example in make_sentiment(500):
        tokens = set(words(example.text))
        assert bool(tokens & POSITIVE) == bool(example.label), example
        assert bool(tokens & NEGATIVE) == (not example.label), example


RELATION_OF = {v.lower(): r for r in RELATIONS for v in W.RELATION_VALUES[r]}


def fact(sentence: str) -> tuple[str, str]:
    """(name, value) of a one-fact sentence such as "The home of Anna is in Paris."."""
    tokens = words(sentence)
    name = next(t for t in tokens if t in PEOPLE)
    return name, next(t for t in tokens if t in RELATION_OF)


def test_entailment_label_is_derivable_from_the_premise():
    for example in make_entailment(500, seed=1):
        name, value = fact(example.hypothesis)
        premise = words(example.premise)
        assert example.label == int(premise[0] == name and value in premise), example
        true_in_world = PEOPLE[name].fact(RELATION_OF[value]).lower() == value
        assert example.label == int(true_in_world), example  # labels agree with the world


def test_similarity_label_is_the_same_fact_and_symmetric():
    examples = make_similarity(500, seed=1)
    for example in examples:
        assert example.label == int(fact(example.a) == fact(example.b)), example
        assert example.a != example.b
    orders = Counter(fact(e.a) < fact(e.b) for e in examples if e.label == 0)
    assert min(orders.values()) > 100  # no order bias a model could exploit


@pytest.mark.parametrize("n_options", [3, 4])
def test_multiple_choice_answer_is_the_only_option_in_the_context(n_options):
    examples = make_multiple_choice(1000, n_options=n_options, seed=0)
    for example in examples:
        assert len(example.options) == len(set(example.options)) == n_options
        context = set(words(example.context))
        in_context = [i for i, o in enumerate(example.options) if o.lower() in context]
        assert in_context == [example.answer], example
        assert example.question.endswith("?")
    positions = Counter(e.answer for e in examples)
    assert all(abs(positions[i] - 1000 / n_options) <= 5 for i in range(n_options))


def test_tagging_tags_follow_the_lexicon():
    tagged = make_tagging(300, seed=0)
    assert all(len(e.tokens) == len(e.tags) for e in tagged)
    counts = Counter(tag for e in tagged for tag in e.tags)
    assert set(counts) == set(TAGS)
    for e in tagged:
        for token, tag in zip(e.tokens, e.tags, strict=True):
            expected = ("NAME" if token in PEOPLE else "TOWN" if token in TOWNS
                        else "FOOD" if token in W.FOODS else "O")
            assert tag == expected
        tok = WordTokenizer.train([" ".join(e.tokens)])
        assert tok.tokenize(" ".join(e.tokens)) == list(e.tokens)


def test_tagging_hand_worked():
    example = tag_text("Anna lives in Paris and likes soup.")
    assert example.tokens == ("anna", "lives", "in", "paris", "and", "likes", "soup", ".")
    assert example.tags == ("NAME", "O", "O", "TOWN", "O", "O", "FOOD", "O")


def test_summary_follows_the_rule():
    for example in make_summarisation(300, seed=0):
        summary = words(example.summary)
        document = words(example.document)
        assert summary[0] == next(t for t in document if t in PEOPLE)  # the hero
        place = document[document.index("went") + 3]  # "... went to the <place>"
        verdict = document[document.index("ate") + 7]  # "ate X there . the X was <adj>"
        assert summary[-2] == place, example
        assert summary[3] == ("good" if verdict in W.POSITIVE_WORDS else "bad"), example


def test_pseudo_translation_rules():
    assert pseudo_translate("She has a red cat.") == "eshay ashay away atcay edray."
    assert pseudo_translate("The dogs run in the park.") == "ethay ogsday unray inway ethay arkpay."
    assert pseudo_translate("What colour is the cat? It is red.") == (
        "atwhay olourcay isway ethay atcay? itway isway edray.")
    for example in make_translation(100):
        assert example.tgt == pseudo_translate(example.src)
        assert len(words(example.tgt)) == len(words(example.src))


# ---- the learner's own text -------------------------------------------------------------
def test_load_text_and_split_sentences(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("Héloïse lit.\r\nIt rains! Does it?\n", encoding="utf-8")
    text = load_text(path)
    assert text == "Héloïse lit.\nIt rains! Does it?\n"
    assert split_sentences(text) == ["Héloïse lit.", "It rains!", "Does it?"]
    assert split_sentences("No stop at the end") == ["No stop at the end"]
    assert split_sentences("  ") == []


def test_load_text_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        load_text(tmp_path / "missing.txt")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    with pytest.raises(ValueError, match="empty"):
        load_text(empty)
    binary = tmp_path / "latin1.txt"
    binary.write_bytes("café".encode("latin-1"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_text(binary)
    with pytest.raises(ValueError, match="path"):
        load_text(tmp_path)
    with pytest.raises(TypeError, match="path"):
        load_text(3)
    with pytest.raises(TypeError, match="text"):
        split_sentences(None)


def test_load_text_refuses_a_binary_file_that_happens_to_decode(tmp_path):
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"PK\x03\x04\x00\x00 looks like text\x00")  # valid UTF-8, but NUL bytes
    with pytest.raises(ValueError, match="data.bin' holds NUL bytes, so it is a binary file"):
        load_text(binary)
    with pytest.raises(ValueError, match="is a folder, not a text file"):
        load_text(tmp_path)


# ---- LM batches -------------------------------------------------------------------------
def test_lm_windows_are_contiguous_and_seeded():
    ids = torch.arange(100, 200)
    windows = lm_windows(ids, block_size=8, batch_size=16, generator=torch.Generator().manual_seed(0))
    assert windows.shape == (16, 9) and windows.dtype == torch.long
    assert torch.all(windows[:, 1:] - windows[:, :-1] == 1)  # consecutive ids of the stream
    assert windows.min() >= 100 and windows.max() < 200
    again = lm_windows(ids, block_size=8, batch_size=16, generator=torch.Generator().manual_seed(0))
    assert torch.equal(windows, again)
    edge = lm_windows(torch.arange(5), block_size=4, batch_size=3)
    assert edge.tolist() == [[0, 1, 2, 3, 4]] * 3  # the only window there is


def test_lm_windows_cover_every_start():
    windows = lm_windows(torch.arange(10), block_size=3, batch_size=2000,
                         generator=torch.Generator().manual_seed(1))
    assert set(windows[:, 0].tolist()) == set(range(7))


def test_encode_stream(corpus):
    tok = WordTokenizer.train(corpus[:50])
    stream = encode_stream(tok, corpus[:3], separator_id=tok.eos_token_id)
    expected = tok.encode(corpus[0]) + [7] + tok.encode(corpus[1]) + [7] + tok.encode(corpus[2])
    assert stream.tolist() == expected and stream.dtype == torch.long


# ---- bad input: the error names the argument ----------------------------------------------
def test_lm_windows_bad_inputs():
    ids = torch.arange(10)
    with pytest.raises(ValueError, match="block_size"):
        lm_windows(ids, block_size=10, batch_size=2)
    with pytest.raises(ValueError, match="block_size"):
        lm_windows(ids, block_size=0, batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        lm_windows(ids, block_size=3, batch_size=0)
    with pytest.raises(TypeError, match="ids"):
        lm_windows(ids.float(), block_size=3, batch_size=2)
    with pytest.raises(ValueError, match="ids"):
        lm_windows(ids.view(2, 5), block_size=3, batch_size=2)
    with pytest.raises(TypeError, match="generator"):
        lm_windows(ids, block_size=3, batch_size=2, generator=0)


def test_corpus_and_task_bad_inputs():
    with pytest.raises(ValueError, match="n_stories"):
        synthetic_corpus(-1)
    with pytest.raises(TypeError, match="seed"):
        synthetic_corpus(3, seed="zero")
    with pytest.raises(ValueError, match="n_options"):
        make_multiple_choice(3, n_options=1)
    with pytest.raises(ValueError, match="n_options"):
        make_multiple_choice(3, n_options=9)
    with pytest.raises(ValueError, match="n"):
        make_sentiment(-5)
    with pytest.raises(TypeError, match="text"):
        pseudo_translate(["a"])
    with pytest.raises(TypeError, match="texts"):
        encode_stream(WordTokenizer.train(["a"]), "a")
    with pytest.raises(ValueError, match="relation"):
        WORLD["Anna"].fact("age")


@pytest.mark.parametrize("module", [corpus_module, tasks_module, text_module])
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0
