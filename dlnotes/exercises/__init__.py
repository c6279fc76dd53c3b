"""The book's exercises: a catalogue and :func:`check`, instant and specific feedback.

For learners::

    from dlnotes.exercises import check, hint, catalogue
    check("ch02_gradient_descent", gradient_descent)   # ✓ ... or an AssertionError saying why
    check("ch02_lr_challenge", lr)                     # explorer challenges take a value
    hint("ch02_max_stable_lr")
    catalogue(chapter=2)                               # name, chapter, title, signature, hint

``check`` runs the learner's function on seeded, non-trivial inputs, compares whole arrays
(type, shape, dtype, values with a tolerance) with the reference solution, detects inputs
modified in place, stops a call after a few seconds, reports an exception with the line of the
learner's code, names a known mistake when the wrong result matches one, and fails (score zero
when graded) if the function calls dlnotes' own solution. On failure it raises
``AssertionError``, so a graded cell fails.

Adding an exercise
------------------
Exercises live in one module per chapter, ``dlnotes/exercises/chNN.py``; every such module is
imported automatically and registers its exercises (see :mod:`dlnotes.exercises.ch02`). For a
function exercise write, in that module:

1. the reference solution, a plain documented function with the signature the learner writes;
2. each common mistake as a small wrong function with the same signature, declared on its own
   code with its name and hint::

       fn_mistakes = Mistakes()

       @fn_mistakes.add("its name", "the hint that fixes it")
       def _wrong_fn(a, b): ...

3. a function building the cases, ``_cases(seed, hidden) -> list[Case]``, from a seeded
   ``np.random.default_rng``: non-trivial inputs (never all zeros or ones), several sizes, and
   at least one case on which each mistake differs from the reference;
4. one call::

       register(FunctionExercise(
           name="chNN_short_name", chapter="NN", title="...",
           signature="fn(a, b) -> array of shape ...", hint="...",
           solution=fn,
           suites=seeded(_cases, visible=1, hidden=10),
           mistakes=fn_mistakes.all,
           references=("dlnotes.optim:Adam",),  # library code that also counts as "the answer"
       ))

When a wrong answer matches no registered mistake, ``check`` tries the generic diagnoses of
:mod:`dlnotes.exercises.diagnose` (off by a factor, sign flipped, transposed, stale state, an
argument ignored, ...). ``diagnoses={"step factor 1 - beta1**t": "did you drop the bias
correction of m?"}`` gives one of them the exercise's own wording (``register`` refuses a key
that can never match).

A value exercise (explorer challenge) is a :class:`ValueExercise`: an accepted value as
``solution``, a ``verify(value) -> ValueVerdict`` that runs the experiment, and its mistakes,
each declared on the predicate that recognizes it, with its name, hint and a wrong value that
shows it::

    lr_challenge_mistakes = ValueMistakes()

    @lr_challenge_mistakes.add("too small", "the hint that fixes it", example=0.5)
    def _too_small(lr): ...  # True when a failing lr shows this mistake

``verify`` returns ``ValueVerdict(False, summary, lr_challenge_mistakes.shown_by(lr))`` for a
value that fails, and the exercise gets ``mistakes=lr_challenge_mistakes.all``
(``dlnotes/exercises/ch02.py``). ``tests/test_exercises_catalogue.py`` then proves, for every registered exercise, that the solution passes both suites and each
mistake fails with its name.

Master-notebook layout (nbgrader)
---------------------------------
Each exercise in ``notebooks/NN_topic.ipynb`` is four cells:

1. a markdown cell stating the task (signature, what to return, what not to modify);
2. the solution cell: nbgrader ``solution: true, grade: false``, grade_id ``<name>_solution``,
   tag ``hide-input`` (the site shows the solution behind a toggle); the code between
   ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes ``# YOUR CODE HERE`` +
   ``raise NotImplementedError()`` in the learner edition;
3. the visible test cell: nbgrader ``grade: true, locked: true`` with its ``points``, grade_id
   ``<name>_test``, calling ``check("<name>", fn)``;
4. the hidden-test cell: nbgrader ``grade: true, locked: true`` with its ``points``, grade_id
   ``<name>_hidden``, tag ``remove-cell``, optionally a comment line, then
   ``### BEGIN HIDDEN TESTS`` /
   ``check("<name>", fn, suite="hidden")`` / ``### END HIDDEN TESTS``.

Later cells never use the learner's result (they use the ``dlnotes`` reference), so the rest of
a chapter runs when an exercise is unsolved. Written in jupytext's percent format, the cells are::

    # %% [markdown]
    # **Exercise.** Write `gradient_descent(grad, x0, lr, steps)` ...

    # %% nbgrader={"grade": false, "grade_id": "ch02_gradient_descent_solution", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
    def gradient_descent(grad, x0, lr, steps):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION


    # %% nbgrader={"grade": true, "grade_id": "ch02_gradient_descent_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
    check("ch02_gradient_descent", gradient_descent)

    # %% nbgrader={"grade": true, "grade_id": "ch02_gradient_descent_hidden", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false} tags=["remove-cell"]
    # Hidden tests: run with other inputs when your notebook is graded.
    ### BEGIN HIDDEN TESTS
    check("ch02_gradient_descent", gradient_descent, suite="hidden")
    ### END HIDDEN TESTS

and ``jupytext --to ipynb file.py`` turns them into the notebook (see
``tests/fixtures/ch02_exercises.ipynb``). ``python3 tasks.py learner`` then writes the learner
edition into ``learner/``.

Defined in chapter 02 (Conditioning and the loss landscape).
"""  # noqa: E501 (the jupytext cell headers above are one line each)

# The package's names are core's, listed once, in core.__all__.
from dlnotes.exercises import core
from dlnotes.exercises.core import *  # noqa: F403

__all__ = core.__all__
