"""Verdicts computed from results: worked by hand on small cases."""

import doctest

import pytest

import minilm.evidence
from minilm.evidence import Spread, compare, count_phrase, verdict


def test_module_examples_hold():
    assert doctest.testmod(minilm.evidence).failed == 0


def test_spread_is_half_the_range():
    s = Spread.of([1.0, 4.0, 2.0])
    assert (s.mean, s.spread, s.n) == (pytest.approx(7 / 3), 1.5, 3)
    assert s.format(2) == "2.33 ± 1.50"
    assert Spread.of([0.5, 0.7]).format(3, percent=True) == "60.0 ± 10.0 %"


def test_overlapping_bands_are_a_tie_and_separate_bands_are_not():
    assert compare([0.9, 1.0], [0.5, 0.6]) == 1
    assert compare([0.5, 0.6], [0.9, 1.0]) == -1
    assert compare([0.5, 0.9], [0.6, 0.7]) == 0          # 0.7 ± 0.2 overlaps 0.65 ± 0.05
    assert compare([1.0, 1.1], [2.0, 2.1], higher_is_better=False) == 1  # a loss: lower wins


def test_paired_comparison_needs_every_seed_to_agree():
    assert compare([0.6, 0.7, 0.8], [0.5, 0.65, 0.79], paired=True) == 1   # small but consistent
    assert compare([0.6, 0.7, 0.8], [0.5, 0.75, 0.79], paired=True) == 0   # seed 2 disagrees
    with pytest.raises(ValueError, match="paired"):
        compare([1.0], [1.0, 2.0], paired=True)


def test_verdict_names_the_winner_whichever_side_it_is_on():
    assert (verdict("a", [0.1, 0.2], "b", [0.8, 0.9])
            == "b beats a: 0.850 ± 0.050 vs 0.150 ± 0.050 (2 seeds each)")
    assert "tie within the spread" in verdict("a", [0.1, 0.9], "b", [0.4, 0.5])


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="values"):
        Spread.of([])
    with pytest.raises(ValueError, match="scratch"):
        verdict("pretrained", [0.5], "scratch", [float("nan")])
    assert count_phrase(2, 4, "tasks") == "2 of 4 tasks"
    with pytest.raises(ValueError, match="count"):
        count_phrase(5, 4, "tasks")
    # A str of digits is not a list of numbers: "61" would read as the results 6 and 1.
    with pytest.raises(TypeError, match="a must be a number or a list of numbers, got str"):
        compare("61", [0.5, 0.7])
