"""Repository-wide pytest options: ``--target`` picks what tests/exercises/ grades."""

import os

from minilm.grade import TARGET_ENV, TARGETS


def pytest_addoption(parser):
    parser.addoption("--target", choices=TARGETS, default="solutions",
                     help="grade solutions/ (default) or the learner's exercises/")


def pytest_configure(config):
    os.environ[TARGET_ENV] = config.getoption("--target")
