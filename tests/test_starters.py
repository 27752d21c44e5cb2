"""Issue 18's three starter activities (``app/classroom/starters/*.json``): each file is a lesson
file the library imports, every step a ``StepIn`` and the lesson a ``LessonIn``; every setup is
a session the playground builds within its limits; every network question names a quantity that
exists in its step's network (``engine.questions.Quantity.check``) and a sample of its data, and
the engine computes a finite expected value for it; and each activity asks what the issue says
it asks (δ_k before δ_j on the probe sample, η = 5 predicted before it is run...)."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from app import limits
from app.classroom.activity import NetworkQuestion, StepIn
from app.classroom.library import LessonFile, starters
from app.classroom.schemas import LessonIn
from app.schemas import SessionCreate
from app.settings import Settings
from app.trainer.build import build
from engine.questions import Quantity, expected_value

ROOT = Path(__file__).resolve().parents[1]
SLUGS = ("1-forward-pass", "2-backward-pass", "3-learning-rate")
SETTINGS = Settings()


def walk(f: LessonFile):
    """(n, step, the setup its network runs on) of each step: its own, else the one before."""
    current = f.lesson.setup
    for n, step in enumerate(f.lesson.steps):
        current = step.setup or current
        yield n, step, current


def network_questions(f: LessonFile):
    return [
        (n, s.question, setup) for n, s, setup in walk(f) if isinstance(s.question, NetworkQuestion)
    ]


@pytest.fixture(scope="module")
def files() -> dict[str, LessonFile]:
    return starters()


def test_there_are_three_starters_and_the_wheel_carries_them(files):
    assert tuple(files) == SLUGS
    folder = ROOT / "app" / "classroom" / "starters"
    assert sorted(p.stem for p in folder.glob("*.json")) == list(SLUGS)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    assert "app.classroom.starters" in setuptools["packages"]
    assert "*.json" in setuptools["package-data"]["app.classroom.starters"]


@pytest.mark.parametrize("slug", SLUGS)
def test_each_starter_is_a_valid_lesson_whose_steps_are_steps(files, slug):
    f = files[slug]
    body = f.lesson.model_dump(mode="json")
    lesson = LessonIn.model_validate(body)  # what POST /api/lessons takes
    assert len(lesson.steps) == len(f.lesson.steps) >= 3
    for step in body["steps"]:
        StepIn.model_validate(step)
    assert len(lesson.steps) <= SETTINGS.max_activity_steps
    assert f.summary and f.lesson.title.startswith("Starter ")


@pytest.mark.parametrize("slug", SLUGS)
def test_every_setup_builds_within_the_limits(files, slug):
    f = files[slug]
    setups = [f.lesson.setup, *(s.setup for s in f.lesson.steps if s.setup is not None)]
    for setup in setups:
        again = SessionCreate.model_validate(setup.model_dump())
        limits.check_session(again, SETTINGS)
        build(again, SETTINGS)
    assert f.lesson.steps[0].setup is not None  # opening step 0 again brings the class back


@pytest.mark.parametrize("slug", SLUGS)
def test_every_network_question_names_a_quantity_of_its_network(files, slug):
    for n, q, setup in network_questions(files[slug]):
        built = build(setup, SETTINGS)
        quantity = Quantity(**q.quantity.model_dump())
        quantity.check(built.spec, f"steps[{n}].question.quantity")  # raises if not there
        sample = 0 if q.sample is None else q.sample
        assert sample < built.dataset.X_train.shape[0], (slug, n)
        value = expected_value(
            built.spec,
            built.params,
            built.dataset.X_train[sample],
            built.dataset.T_train[sample],
            quantity,
            eta=setup.training.learning_rate,
        )
        assert math.isfinite(value), (slug, n)


@pytest.mark.parametrize("slug", SLUGS)
def test_the_texts_cite_the_derivation_and_their_math_is_closed(files, slug):
    f = files[slug]
    texts = [f.lesson.instructions]
    for step in f.lesson.steps:
        texts.append(step.instructions)
        if step.question is not None:
            texts += [step.question.prompt, step.question.explanation]
    for text in texts:
        assert text.replace("$$", "").count("$") % 2 == 0, text  # KaTeX's $…$ pairs
        assert "\\(" not in text and "\\[" not in text, text  # the page renders $…$ only
    cited = " ".join(texts)
    assert re.search(r"Eq\. \d+|step \d", cited), slug


def test_the_forward_pass_asks_z_a_and_E_of_a_named_sample_and_a_fixed_number(files):
    f = files["1-forward-pass"]
    net = f.lesson.steps[0].setup.network
    assert net.hidden_layers == [2] and net.weights is not None  # 2-2-1, numbers to read off
    asked = [(q.quantity.name, q.sample) for _, q, _ in network_questions(f)]
    assert {name for name, _ in asked} >= {"z", "a", "E"}
    assert all(sample is not None for _, sample in asked)  # the same named sample for all
    number = next(s.question for s in f.lesson.steps if s.question and s.question.kind == "number")
    assert number.answer == pytest.approx(0.1 + 1 * 0.4 + 0.5 * (-0.2))  # its own explanation


def test_the_forward_pass_answers_follow_figure_1_with_numpy(files):
    """The numbers a student computes by hand from the step's weights (steps 2–6, Eq. 1) are
    the engine's expected values."""
    f = files["1-forward-pass"]
    setup = f.lesson.steps[0].setup
    W = [np.array(w) for w in setup.network.weights]
    b = [np.array(x) for x in setup.network.biases]
    built = build(setup, SETTINGS)
    for _, q, _ in network_questions(f):
        x, t = built.dataset.X_train[q.sample], built.dataset.T_train[q.sample]
        z1 = b[0] + x @ W[0]
        a1 = 1 / (1 + np.exp(-z1))
        z2 = b[1] + a1 @ W[1]
        a2 = 1 / (1 + np.exp(-z2))
        by_hand = {
            ("z", 1): z1,
            ("a", 1): a1,
            ("z", 2): z2,
            ("a", 2): a2,
        }
        name, layer, unit = q.quantity.name, q.quantity.layer, q.quantity.unit
        mine = 0.5 * float(np.sum((a2 - t) ** 2)) if name == "E" else by_hand[name, layer][unit]
        engine = expected_value(built.spec, built.params, x, t, Quantity(**q.quantity.model_dump()))
        assert engine == pytest.approx(mine, rel=1e-9)


def test_the_backward_pass_asks_delta_k_then_delta_j_on_the_probe_sample(files):
    f = files["2-backward-pass"]
    asked = network_questions(f)
    deltas = [(q.quantity.layer, q) for _, q, _ in asked if q.quantity.name == "delta"]
    assert [layer for layer, _ in deltas] == [2, 1]  # Eq. 5 at the output, then Eq. 14
    for _, q in deltas:
        assert q.sample is None  # each student's probe sample, on each student's network
        assert q.feedback == "immediate" and q.max_attempts == 3
    names = [q.quantity.name for _, q, _ in asked]
    assert names.index("dE_dw") > names.index("delta") and names[-1] == "w_updated"
    *_, (_, update, setup) = asked
    assert setup.training.momentum == 0 and setup.training.regularization == "none"  # plain Eq. 7
    assert update.quantity.source is not None
    for n, step, _ in walk(f):
        if isinstance(step.question, NetworkQuestion):
            assert {"step", "play", "weights"} <= set(step.locks), n  # the network stays still


def test_the_learning_rate_predicts_then_shows_divergence_and_slow_convergence(files):
    f = files["3-learning-rate"]
    kinds = [s.question.kind for s in f.lesson.steps]
    assert kinds[0] == "prediction" and kinds[-1] == "choice"
    first = f.lesson.steps[0].question
    assert first.options and "5" in first.prompt
    etas = [s.setup.training.learning_rate for s in f.lesson.steps if s.setup is not None]
    assert max(etas) >= 5 and min(etas) <= 0.001
    # the large η diverges and the tiny one crawls, on the engine itself
    big = next(s.setup for s in f.lesson.steps if s.setup and s.setup.training.learning_rate >= 5)
    small = next(
        s.setup for s in f.lesson.steps if s.setup and s.setup.training.learning_rate <= 1e-3
    )
    built = build(big, SETTINGS)
    assert built.new_trainer(built.params).train(20).status == "diverged"
    built = build(small, SETTINGS)
    trainer = built.new_trainer(built.params)
    start = trainer.train(1).loss_train
    later = trainer.train(20).loss_train
    assert later < start and later > 0.5 * start  # falling, slowly
    for step in f.lesson.steps[1:3]:
        assert "play" not in step.locks  # students run it themselves
