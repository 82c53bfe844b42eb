"""Readable run names in MLflow's shape, ``<adjective>-<noun>-<0..1000>`` (e.g. ``calm-owl-42``).

The word lists are tracklib's own; only the shape and the 20-character limit follow MLflow.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from tracklib.errors import InvalidInputError
from tracklib.tags import RUN_NAME

_ADJECTIVES = (  # noqa: SIM905 - a word list reads better as text
    "able agile amber ample azure bold brave brisk calm clever cosmic crisp curious "
    "daring deft eager early easy epic fair fancy fast fine firm fluent free fresh "
    "gentle glad golden grand green happy hardy honest humble jolly keen kind lively "
    "loud lucid lucky merry mighty modest neat nimble noble odd orange patient plain "
    "polite proud quick quiet rapid rare ready regal rich rosy royal rustic sharp shiny "
    "silent silver simple sleek smart snowy solid spry steady stoic sunny swift tidy "
    "tough true upbeat valiant vivid warm wise witty young zesty "
).split()
_NOUNS = (  # noqa: SIM905
    "ant ape badger bass bat bear bee bird bison boar carp cat cod colt crab crane crow "
    "deer dingo dog dove duck eagle eel elk emu falcon finch fish fly fox frog gnat goat "
    "goose gull hare hawk hen heron horse hound ibis jay kite koala lamb lark lion lynx "
    "mink mole moth mouse mule newt orca otter owl ox panda pig pike pony puma quail ram "
    "rat raven robin seal shark sheep shrew skunk sloth slug snail snake sole squid stag "
    "stork swan tern tiger toad trout tuna viper vole wasp whale wolf worm wren yak "
    "zebra "
).split()
MAX_LENGTH = 20


def generate_run_name() -> str:
    """Return a random run name of at most 20 characters."""
    for _ in range(10):
        name = f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{random.randint(0, 1000)}"
        if len(name) <= MAX_LENGTH:
            return name
    return name[:MAX_LENGTH]


def resolve_run_name(run_name: str | None, tags: Mapping[str, Any] | None) -> str:
    """Pick a run's name: ``run_name``, else an ``mlflow.runName`` tag, else a generated one.

    Raises:
        InvalidInputError: Both are given and differ.
    """
    tagged = (tags or {}).get(RUN_NAME)
    if run_name is not None and tagged is not None and str(tagged) != run_name:
        raise InvalidInputError(
            f"run_name={run_name!r} and the tag {RUN_NAME}={tagged!r} disagree; give one."
        )
    name = run_name if run_name is not None else tagged
    return str(name) if name else generate_run_name()
