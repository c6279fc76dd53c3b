"""Part 2's compute budget: a :class:`Budget` that ``fit`` uses as a callback, and the caller's
own enforcement of wall-clock time, in process (:func:`train_within_budget`, the notebook) or in
a separate process (:func:`run_submission`, the grader).

The rules the learner reads in the notebook:

* the budget is **45 seconds of wall-clock time and 30 epochs** (:data:`SECONDS`,
  :data:`EPOCHS`), counted from the moment ``train_best_model(data, budget)`` is called (in
  the grader, from just before the submission's imports run: they count);
* pass ``budget`` to every ``fit`` call (``fit(..., callbacks=[budget])``): after each epoch it
  counts the epoch, keeps a copy of the model (the *checkpoint*) and stops training when either
  limit is reached; several ``fit`` calls share one budget;
* the caller enforces the wall clock anyway: at ``SECONDS + GRACE`` the function is stopped and
  the last checkpoint is scored, or nothing (zero points) if there is none. A function that
  ignores the callback therefore loses its work, it does not gain time; a model (returned, or
  the checkpoint scored in its place) with no epoch counted by the budget (more epochs could
  have run), with more epochs than allowed, with weights that differ from every model the
  budget saw at the end of a counted epoch (trained on after its last counted epoch, e.g. in
  the grace seconds, or without it and checkpointed by hand), or after more than
  :data:`UNWATCHED_SECONDS` of the budget passed outside the epochs it counted (time enough
  to train without it), or with a counted epoch that went through more than :data:`EXAMPLES`
  examples (images from outside the data, copies or stored augmentations: more than one pass
  counted as one), or in which ``fit``'s optimizer took more steps than ``fit`` made (training
  inside ``augment``, the schedule, the loss or another callback), or with a counted epoch
  that began after the seconds ran out (a ``fit`` called in the grace seconds: only an epoch
  under way when the time runs out may finish, see :data:`LATE_TOLERANCE`), or whose first
  counted training steps' loss is below :data:`FIRST_LOSS` (a network trained before the
  budget) is flagged for review (best effort: all of it comes from the learner's own
  process).

Defined in chapter 16 (Capstone project).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import numpy as np

from dlnotes._validate import check_scalar
from dlnotes.capstone.data import DEV_SIZE, TRAIN_SIZE
from dlnotes.capstone.plain import model_from_plain, model_to_plain
from dlnotes.layers import BatchNorm
from dlnotes.model import Sequential
from dlnotes.train import Callback, History

__all__ = [
    "EPOCHS",
    "EXAMPLES",
    "GRACE",
    "SECONDS",
    "Budget",
    "BudgetExceeded",
    "run_submission",
    "train_within_budget",
]

#: Wall-clock seconds of the training budget.
SECONDS = 45.0
#: Epochs of the training budget (counted by the callback over every ``fit`` call).
EPOCHS = 30
#: Extra seconds the caller allows after the budget (to finish an epoch and return the model)
#: before it stops the function.
GRACE = 5.0
#: CPU cores the grader's run may use: the learners' two. The run is pinned to that many of the
#: grader's CPUs, so that a process pool or threads sized to a larger grading machine share two
#: (a process may widen its own affinity again: this stops an honest pool, not a forger).
CORES = 2
#: Seconds of the budget a submission may spend outside the epochs the budget counted (imports,
#: building the model, preparing the data, callbacks, between and after its fits) before the
#: run is flagged for review: the budget does not see what runs there, e.g. a training loop of
#: its own (about 20 epochs of the reference's network fit in 3 s on one core). The reference
#: solution spends well under 1 s there.
UNWATCHED_SECONDS = 3.0
#: The most training examples one counted epoch may go through: the training and dev sets
#: together (a learner may train on dev too). An epoch of more went through copies or stored
#: augmentations of the images, several passes counted as one (augmenting each batch as it is
#: drawn, ``fit(augment=...)``, keeps an epoch one pass).
EXAMPLES = TRAIN_SIZE + DEV_SIZE
#: Seconds after the budget's time ran out within which a counted epoch may begin unflagged.
#: An epoch under way when the time runs out may finish (the budget stops ``fit`` after it);
#: one that *began* after it is flagged. A ``fit`` given the budget and called after the time
#: ran out trains no epoch at all (:meth:`Budget.on_train_begin` stops it), so an honest loop,
#: however long its own work between checking the budget and calling ``fit``, never begins a
#: late epoch: only a bypass does (the budget passed as a function, ``budget.on_epoch_end``,
#: or its stop ignored). The tolerance covers only the measurement: for a ``fit`` whose start
#: the budget did not see, the epoch's start is its end less ``fit``'s timing of it, and the
#: end is read after the progress bar and the callbacks listed before the budget (a few ms);
#: the clocks tick every 15.6 ms on some systems. 0.1 s is a few of each, and the epochs a
#: chain of tiny fits could begin within it train next to nothing.
LATE_TOLERANCE = 0.1
#: The loss below which the first counted training steps' loss is flagged: the network was
#: trained before the budget (weights carried in the cell, e.g. int8 in a string). The loss is
#: the mean of the first counted epoch's first steps that cover :data:`FIRST_EXAMPLES`
#: examples (one step of one example can be ~0 by chance). Measured on the capstone's data
#: (session 52, 390 runs of :attr:`Budget.first_loss`): untrained MLPs of 784-10 to
#: 784-1024-1024-10 and 784-512x3-10, every init, batch or layer norm or none, batches of 1
#: to 256, inputs standardized, weights scaled 30x, a zeroed last layer with dropout: 1.76
#: (standardized inputs, batches of 8) and up, most near 2.3; the reference solution 2.49.
#: A single first step alone went down to 1e-7 (weights scaled 30x, a batch of 1). Trained
#: before the budget: 0.19 (40 epochs, as the hostile review's int8 network), 0.80 after a
#: single epoch. A loss other than cross-entropy (focal loss starts near 1.9) can also be
#: low: the flag says read the cell.
FIRST_LOSS = 1.0
#: The examples the first counted steps' loss (:data:`FIRST_LOSS`) is averaged over, at least.
FIRST_EXAMPLES = 64


def replace_file(path: Path, content: bytes | Callable[[Any], None]) -> None:
    """Write ``path`` anew, atomically: ``content`` (bytes, or a function that writes to a binary
    file) goes to a new file of a random name in the same folder (created exclusively, so no
    link or other file already there is followed or reused), which then replaces ``path`` (a
    link or a file someone else put at ``path`` is replaced, not written through).

    Defined in chapter 16 (Capstone project).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, bytes):
                fh.write(content)
            else:
                content(fh)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


class BudgetExceeded(BaseException):
    """Raised inside the learner's function when the caller's wall-clock limit is reached (a
    ``BaseException``, so that the learner's ``except Exception`` cannot swallow it)."""


class Budget(Callback):
    """A compute budget of ``seconds`` of wall-clock time and ``epochs`` epochs.

    As a ``fit`` callback it counts epochs, keeps the model it was last handed as plain data
    (:attr:`checkpoint`, written to ``checkpoint_path`` too when one is given, atomically, with
    its record in a ``.txt`` file next to it, see :meth:`save`) and returns True (stop) once
    :attr:`exhausted`. The clock starts when the budget is created. :meth:`save` checkpoints a
    model by hand (e.g. before a second ``fit``). :attr:`histories` holds the
    :class:`~dlnotes.train.History` of every ``fit`` call it watched (for the write-up's
    curves); :meth:`saw` tells whether a model's weights are those it saw at the end of a
    counted epoch; :attr:`unwatched_seconds` how much of the budget passed outside the epochs
    it counted; :attr:`most_examples` the most training examples a counted epoch went through
    (``History.examples``), which should not pass ``examples`` (None: not checked);
    :attr:`extra_steps` the most optimizer steps a counted epoch took beyond those ``fit``
    made (see :meth:`_count_steps`), which should be 0; :attr:`late_epochs` how many counted
    epochs began after its ``seconds`` ran out, and :attr:`late_seconds` how long after the
    latest began (see :meth:`_count_late`), which should be 0; :attr:`cut_short` what the
    budget last ended early (``"a fit early, after its epoch 12: its 30 epochs were used up"``,
    or None).

    Defined in chapter 16 (Capstone project).
    """

    def __init__(
        self,
        seconds: float = SECONDS,
        epochs: int = EPOCHS,
        *,
        examples: int | None = EXAMPLES,
        checkpoint_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.seconds = check_scalar("seconds", seconds, low=0.0, low_inclusive=False)
        self.epochs = int(check_scalar("epochs", epochs, low=1, integer=True))
        if examples is not None:
            examples = int(check_scalar("examples", examples, low=1, integer=True))
        self.examples = examples
        self.most_examples = 0  # the most training examples of one counted epoch (-1: unknown)
        self.checkpoint_path = None if checkpoint_path is None else Path(checkpoint_path)
        self.start = time.monotonic()
        self.epochs_used = 0
        self.checkpoint: dict[str, Any] | None = None
        self.checkpoint_epoch = 0  # epochs counted when the checkpoint was kept
        self.checkpoint_seen = False  # whether it is a model seen at a counted epoch's end
        self.checkpoint_unwatched = 0.0  # unwatched_seconds when it was kept
        self.checkpoint_examples = 0  # most_examples when it was kept
        self.extra_steps = 0  # the most optimizer steps of a counted epoch beyond fit's own
        self.checkpoint_extra_steps = 0  # extra_steps when it was kept
        self.late_epochs = 0  # counted epochs that began after the seconds ran out
        self.late_seconds = 0.0  # how long after the seconds ran out the latest of them began
        self.checkpoint_late_epochs = 0  # late_epochs when it was kept
        self.checkpoint_late_seconds = 0.0  # late_seconds when it was kept
        self.first_loss = math.nan  # the first counted steps' loss (NaN: none yet)
        self.checkpoint_first_loss = math.nan  # first_loss when it was kept
        self._before_epoch: float | None = None  # the budget's last moment before the epoch
        self._before_history: History | None = None  # the fit _before_epoch belongs to
        self._last_hook = self.start  # the end of the budget's last hook, in any fit
        self.histories: list[History] = []
        self._seen: dict[str, None] = {}  # fingerprints of the models at counted epochs' ends
        self._watched = 0.0  # seconds of the counted epochs, as fit timed them
        self.cut_short: str | None = None  # the last fit the budget stopped before its end
        self._cut: tuple[int, bool] | None = None  # its stopped epoch, and whether by epochs
        self._last_t: int | None = None  # the optimizer's step count at the last counted epoch
        self._counted_t = False  # whether a counted epoch's optimizer count was read yet

    @property
    def elapsed(self) -> float:
        """Seconds since the budget was created."""
        return time.monotonic() - self.start

    @property
    def remaining_seconds(self) -> float:
        return max(0.0, self.seconds - self.elapsed)

    @property
    def remaining_epochs(self) -> int:
        return max(0, self.epochs - self.epochs_used)

    @property
    def exhausted(self) -> bool:
        """True once the time or the epochs are used up."""
        return self.elapsed >= self.seconds or self.epochs_used >= self.epochs

    @property
    def unwatched_seconds(self) -> float:
        """Seconds of the budget so far outside the epochs it counted: from its start to now,
        less each counted epoch's time as ``fit`` measured it (``history.seconds``: the pass
        over the data and the dev evaluation, not the callbacks). Imports, setup, evaluation
        between fits and callbacks add to it, and so would training without the budget, before,
        between or inside its fits (in another callback)."""
        return max(0.0, self.elapsed - self._watched)

    def save(self, model: Sequential) -> None:
        """Keep ``model`` (as plain data) as the checkpoint scored if the caller must stop.

        With a ``checkpoint_path``, the model is written there (atomically) and, just before,
        its record to the same path with the suffix ``.txt``: the epochs counted, the
        :attr:`unwatched_seconds`, the :attr:`most_examples`, the :attr:`extra_steps`, the
        :attr:`late_epochs`, the :attr:`late_seconds`, the :attr:`cut_record` (rewritten when
        a fit is cut short later) and the fingerprints of the models seen at
        the end of each counted epoch, one a line, from which
        the caller tells whether the checkpoint is one of them (a model saved by hand that was
        not is flagged, as a returned one would be). The record goes first: a run stopped
        between the two writes leaves an older checkpoint with a newer record, which still holds
        every fingerprint the older one needs."""
        plain = model_to_plain(model)
        self._keep(plain, _fingerprint(plain) in self._seen)

    def _keep(self, plain: dict[str, Any], seen: bool) -> None:
        self.checkpoint = plain
        self.checkpoint_epoch = self.epochs_used
        self.checkpoint_seen = seen
        self.checkpoint_unwatched = self.unwatched_seconds
        self.checkpoint_examples = self.most_examples
        self.checkpoint_extra_steps = self.extra_steps
        self.checkpoint_late_epochs = self.late_epochs
        self.checkpoint_late_seconds = self.late_seconds
        self.checkpoint_first_loss = self.first_loss
        if self.checkpoint_path is not None:
            self._write_record()
            replace_file(self.checkpoint_path, lambda fh: np.savez(fh, **plain))

    def _write_record(self) -> None:
        """Write the checkpoint's record (see :meth:`save`): its six numbers, the
        :attr:`cut_record` of the last fit the budget cut short when there is one, the
        :attr:`first_loss` as ``L`` and the number once there is one (without either, the
        record is as it was before those lines were kept: the fingerprints follow the
        numbers) and the fingerprints."""
        assert self.checkpoint_path is not None
        cut = "" if self.cut_record == "-" else f"{self.cut_record}\n"
        first = self.checkpoint_first_loss
        loss = f"L{first:.3f}\n" if math.isfinite(first) else ""
        record = (
            f"{self.checkpoint_epoch}\n{self.checkpoint_unwatched:.3f}\n"
            f"{self.checkpoint_examples}\n{self.checkpoint_extra_steps}\n"
            f"{self.checkpoint_late_epochs}\n{self.checkpoint_late_seconds:.3f}\n"
            f"{cut}{loss}" + "".join(f"{fp}\n" for fp in self._seen)
        )
        replace_file(self.checkpoint_path.with_suffix(".txt"), record.encode("utf-8"))

    @property
    def cut_record(self) -> str:
        """:attr:`cut_short` as a record's line, from which :func:`_cut_note` writes it again
        (the grader's run reads no text of the learner's process): ``e12`` for a fit stopped
        after its epoch 12 because the epochs were used up, ``s0`` for one stopped before its
        first epoch because the seconds were, ``-`` for none."""
        cut = self._cut
        if cut is None or not (isinstance(cut[0], int) and 0 <= cut[0] < 10**9):
            return "-"
        return f"{'e' if cut[1] else 's'}{cut[0]}"

    def saw(self, model: Sequential | dict[str, np.ndarray]) -> bool:
        """Whether ``model`` (a model, or its :func:`model_to_plain` data) is exactly a model the
        budget saw at the end of an epoch it counted, by :func:`_fingerprint`: its weights and
        its layers' types and settings (batch norm's running statistics are not compared). A
        model kept by :meth:`save` alone does not count: False for a model trained or changed
        after the budget's last epoch, or without it."""
        try:
            plain = model if isinstance(model, dict) else model_to_plain(model)
            return _fingerprint(plain) in self._seen
        except TypeError:  # not a model the budget could have checkpointed
            return False

    def on_train_begin(self, history: History, model: Sequential) -> bool:
        """Watch a new ``fit``; True (train no epoch) when the budget is already
        :attr:`exhausted`: a ``fit`` called after the time or the epochs ran out trains
        nothing (:meth:`on_train_end` notes it in :attr:`cut_short`)."""
        self.histories.append(history)
        self._before_history = history
        self._before_epoch = self._last_hook = time.monotonic()  # its first epoch begins after
        return self.exhausted

    def on_epoch_end(self, epoch: int, history: History, model: Sequential) -> bool:
        now = time.monotonic()
        if self.epochs_used == 0:  # a later fit continues a model the budget saw trained
            self.first_loss = _first_loss(history)
        self.epochs_used += 1
        took = self._epoch_seconds(history, now)
        if took is not None:  # this epoch's time as fit measured it, before any callback ran
            # a time longer than since the budget's previous hook was changed: none counted
            self._watched += took if took <= now - self._last_hook else 0.0
        self._count_late(history, now, took)
        self._count_examples(history)
        self._count_steps(history)
        plain = model_to_plain(model)
        self._seen[_fingerprint(plain)] = None  # before the checkpoint, whose record lists it
        self._keep(plain, True)
        self._before_history = history
        self._before_epoch = self._last_hook = time.monotonic()  # its next epoch begins after
        return self.exhausted

    @staticmethod
    def _epoch_seconds(history: History, now: float) -> float | None:
        """The epoch's time as ``fit`` recorded it (``history.seconds[-1]``), or None when it is
        missing or not a finite number of seconds from 0."""
        seconds = history.seconds[-1] if history.seconds else None
        try:
            took = float(seconds)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
        return took if math.isfinite(took) and took >= 0 else None

    def _count_late(self, history: History, now: float, took: float | None) -> None:
        """Count the epoch that just ended (at ``now``, when the budget's hook began) if it
        began more than :data:`LATE_TOLERANCE` after the budget's ``seconds`` ran out.

        Its start is its end less ``fit``'s own timing of it (``took``: the pass and the dev
        evaluation; None, not recorded: taken as begun when it ended). In a fit the budget saw
        begin (``history`` is the one of its last moment before the epoch: the fit's start,
        :meth:`on_train_begin`, or its previous hook in that fit), the start is no earlier than
        that moment, which a ``seconds`` made larger by another callback cannot move, and an
        epoch the budget let begin (that moment came before the deadline) is never counted:
        ``now`` is after the progress bar and the callbacks listed before the budget, whose
        time ``fit`` leaves out of the epoch's, and such a callback must not make an epoch that
        straddled the deadline look late. In a fit it did not see begin (the budget passed as a
        function, ``callbacks=[budget.on_epoch_end]``), the start is fit's timing alone, and a
        timing longer than the time since the budget's previous hook (it cannot be: the epoch
        began after it) was changed, so the epoch is taken as begun when it ended. What is
        caught: a ``fit`` that bypasses the budget's stop at its start (the budget stops one
        called after the time ran out) and epochs the learner's own loop runs after the budget
        said stop. Best effort: a callback listed before a budget passed as a function can
        still set the epoch's time to just under the time since the budget's previous hook;
        and the time of callbacks listed after the budget counts as :attr:`unwatched_seconds`,
        not as lateness."""
        deadline = self.start + self.seconds
        start = now - took if took else now
        if history is self._before_history and self._before_epoch is not None:
            if self._before_epoch <= deadline:  # the budget let this epoch begin
                return
            start = max(start, self._before_epoch)
        elif start < self._last_hook:  # a timing longer than it can have been: changed
            start = now
        late = start - deadline
        if late > LATE_TOLERANCE:
            self.late_epochs += 1
            self.late_seconds = max(self.late_seconds, late)

    def on_train_end(self, history: History, model: Sequential) -> None:
        """Note a ``fit`` that the budget stopped before its requested epochs (``fit`` sets
        ``history.stopped_epoch`` only then)."""
        stopped = getattr(history, "stopped_epoch", None)
        if self.exhausted and isinstance(stopped, int):
            self._cut = (stopped, self.epochs_used >= self.epochs)
            self.cut_short = _cut_text(stopped, self._cut[1], self.epochs, self.seconds)
            if self.checkpoint is not None and self.checkpoint_path is not None:
                self._write_record()  # the grader's message says it too, if it is scored

    def _count_steps(self, history: History) -> None:
        """Keep the most optimizer steps a counted epoch took beyond those ``fit`` made: the
        growth of the optimizer's own count (``history.optimizer_t``, as ``fit`` records it
        before its callbacks run) since the budget's previous counted epoch, across ``fit``
        calls, less the epoch's ``history.steps``. An augment function, a schedule, a loss or a
        callback that steps the optimizer itself, inside the epoch or between two ``fit``
        calls, trains more than the epochs' passes. A count that went down is a new optimizer,
        counted from 0. The count the budget first sees (its first counted epoch's) is counted
        from that epoch's start, taken as the count less ``fit``'s steps in it: the optimizer
        may have stepped before the budget began (a warm-up ``fit`` without it, which the
        :attr:`first_loss` flags when it trained the network), and those steps are no steps
        inside a counted epoch; steps hidden inside that first counted epoch are then not
        caught, those of every later one are. Not checked for an optimizer without a step
        count (one of the learner's own); not caught: a second optimizer, or updates written
        by hand."""
        made = getattr(history, "steps", None)
        counts = getattr(history, "optimizer_t", None)
        if not (isinstance(made, list) and isinstance(counts, list) and made and counts):
            return
        steps, t = made[-1], counts[-1]
        if not (isinstance(steps, int) and isinstance(t, int)):
            self._last_t = None
            return
        if not self._counted_t:  # the first count the budget sees: from the epoch's start
            before = t - steps
        elif self._last_t is not None and self._last_t <= t:
            before = self._last_t
        else:
            before = 0
        self._counted_t = True
        self.extra_steps = max(self.extra_steps, t - before - steps)
        self._last_t = t

    def _count_examples(self, history: History) -> None:
        """Keep the most training examples of a counted epoch (``history.examples[-1]``, as
        ``fit`` records it before its callbacks run). A history whose record of them is missing
        or does not match its epochs (changed by another callback) makes it -1 for good: not
        recorded, flagged."""
        examples, epochs = getattr(history, "examples", None), getattr(history, "epoch", None)
        try:
            if not (isinstance(examples, list) and isinstance(epochs, list)):
                raise TypeError("no record")
            if not examples or len(examples) != len(epochs):
                raise ValueError("a record that does not match the epochs")
            seen = int(examples[-1])
        except (TypeError, ValueError, OverflowError):
            self.most_examples = -1
            return
        if self.most_examples >= 0:
            self.most_examples = max(self.most_examples, seen)

    def __repr__(self) -> str:
        return (
            f"Budget({self.seconds:g} s, {self.epochs} epochs; used {self.elapsed:.1f} s, "
            f"{self.epochs_used} epochs)"
        )


def _cut_text(stopped: int, by_epochs: bool, epochs: int, seconds: float) -> str:
    """What the budget ended (:attr:`Budget.cut_short`): a fit stopped after its epoch
    ``stopped`` (0: before its first) because the ``epochs`` (``by_epochs``) or the
    ``seconds`` were used up."""
    used = f"its {epochs} epochs were used up" if by_epochs else f"its {seconds:g} s were used up"
    if stopped == 0:
        return (
            f"a fit before its first epoch: {used} (a fit called after the budget ran out "
            "trains nothing)"
        )
    return f"a fit early, after its epoch {stopped}: {used}"


def _cut_note(field: str, epochs: int, seconds: float) -> str:
    """The run's note for a record's :attr:`Budget.cut_record` line (``""`` for ``-``), as
    :func:`train_within_budget` says it; ``ValueError`` for a line of another form."""
    if field == "-":
        return ""
    match = re.fullmatch(r"([es])(\d{1,9})", field)
    if match is None:
        raise ValueError(f"not a record of a fit cut short: {field[:20]!r}")
    text = _cut_text(int(match[2]), match[1] == "e", epochs, seconds)
    return f"; the budget ended {text}"


def _first_loss(history: History) -> float:
    """The mean loss of the epoch's first steps that cover :data:`FIRST_EXAMPLES` examples
    (``history.step_loss``, recorded by ``fit`` before each update), or NaN when its record
    of steps and examples is missing or does not add up."""
    losses = getattr(history, "step_loss", None)
    steps, examples = getattr(history, "steps", None), getattr(history, "examples", None)
    try:
        n, seen = int(steps[-1]), int(examples[-1])  # type: ignore[index]
        if n <= 0 or seen <= 0 or not isinstance(losses, list) or len(losses) < n:
            return math.nan
        k = min(n, math.ceil(FIRST_EXAMPLES * n / seen))
        return float(np.mean([float(v) for v in losses[len(losses) - n :][:k]]))
    except (TypeError, ValueError, IndexError, OverflowError):
        return math.nan


@contextmanager
def _wall_clock(seconds: float) -> Iterator[bool]:
    """Raise :class:`BudgetExceeded` in the main thread after ``seconds``; yields whether the
    limit is enforced (SIGALRM in the main thread only)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield False
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise BudgetExceeded(f"the wall-clock limit of {seconds:g} s was reached")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    # The alarm repeats every 0.2 s: an exception raised where Python only prints it (a __del__,
    # a weakref callback) is lost, and a one-shot alarm would then let the function run forever.
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.2)
    try:
        yield True
    finally:
        while True:  # an alarm may still land here; disarm until it is done
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except BudgetExceeded:
                continue


def train_within_budget(
    train_fn: Callable[[dict[str, np.ndarray], Budget], Any],
    data: dict[str, np.ndarray],
    budget: Budget | None = None,
    *,
    grace: float = GRACE,
) -> tuple[Sequential | None, str]:
    """Call ``train_fn(data, budget)`` in this process under the budget's wall clock.

    Returns ``(model, message)``: the returned model; or, if ``train_fn`` is still running at
    ``budget.seconds + grace`` (it is interrupted), raises or returns something else, the
    budget's last checkpoint; or ``None`` when there is none. The message says which, and why,
    with a REVIEW note when the budget did not watch the training (see :func:`_review_note`;
    for a checkpoint, as things stood when it was kept).

    Defined in chapter 16 (Capstone project).
    """
    if not callable(train_fn):
        raise TypeError(f"train_fn must be a function, got {type(train_fn).__name__}")
    budget = Budget() if budget is None else budget
    if not isinstance(budget, Budget):
        raise TypeError(f"budget must be a Budget, got {type(budget).__name__}")
    grace = check_scalar("grace", grace, low=0.0)
    limit = budget.remaining_seconds + grace
    try:
        with _wall_clock(limit) as enforced:
            result = train_fn(data, budget)
            unwatched = budget.unwatched_seconds
    except BudgetExceeded:
        return _fallback(budget, f"stopped at the wall-clock limit ({limit:.0f} s)")
    except NotImplementedError as err:  # the learner edition's stub, not yet replaced
        said = f": {err}" if str(err) else ""
        return _fallback(
            budget, f"train_best_model is not written yet (it raised NotImplementedError{said})"
        )
    except Exception as err:  # the learner's code failed: score what it handed the budget
        return _fallback(budget, f"train_best_model raised {type(err).__name__}: {err}")
    if not isinstance(result, Sequential):
        return _fallback(
            budget, f"train_best_model returned {type(result).__name__}, not a Sequential"
        )
    note = "" if enforced else " (the wall clock was not enforced: not in the main thread)"
    review = _review_note(
        budget.epochs_used,
        budget.epochs,
        budget.saw(result),
        unwatched,
        (budget.most_examples, budget.examples),
        steps=budget.extra_steps,
        first_loss=budget.first_loss,
        late=(budget.late_epochs, budget.late_seconds),
        seconds=budget.seconds,
        learner=True,
    )
    if not review and TRAIN_SIZE < budget.most_examples <= EXAMPLES:
        note += (
            f"; an epoch went through {budget.most_examples} examples, more than the "
            f"{TRAIN_SIZE} training images: if dev was trained on, its accuracy is no longer "
            "a held-out measure"
        )
    if budget.cut_short:
        note += f"; the budget ended {budget.cut_short}"
    note += review
    return result, (
        f"returned a model after {budget.elapsed:.1f} s and {budget.epochs_used} budgeted "
        f"epochs{note}"
    )


def _fallback(budget: Budget, why: str) -> tuple[Sequential | None, str]:
    if budget.checkpoint is None:
        return None, f"{why}; no checkpoint was handed to the budget: zero points"
    note = _review_note(
        budget.checkpoint_epoch,
        budget.epochs,
        budget.checkpoint_seen,
        budget.checkpoint_unwatched,
        (budget.checkpoint_examples, budget.examples),
        what="checkpoint's",
        steps=budget.checkpoint_extra_steps,
        first_loss=budget.checkpoint_first_loss,
        late=(budget.checkpoint_late_epochs, budget.checkpoint_late_seconds),
        seconds=budget.seconds,
        learner=True,
    )
    cut = f"; the budget ended {budget.cut_short}" if budget.cut_short else ""
    return model_from_plain(budget.checkpoint), (
        f"{why}; scored from the last checkpoint (after budgeted epoch {budget.checkpoint_epoch})"
        f"{cut}{note}"
    )


# --------------------------------------------------------------------------------------------
# In a separate process (the grader)


def _child_env() -> dict[str, str]:
    """The environment of the learner's process: no paths of the grader's beyond the basics.

    Not the grader's ``HOME``, ``TMPDIR`` or ``PYTHONPATH`` (they would show the instructor's
    folders): :func:`run_submission` sets ``HOME`` and ``TMPDIR`` to the run's work folder, and
    ``PYTHONPATH`` is only the folder holding the ``dlnotes`` package the grader imported (so
    that the child runs the same dlnotes, installed or not; the sandbox shows that package at
    that place, and nothing else of the folder)."""
    import dlnotes

    keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(dlnotes.__file__)))
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


def run_submission(
    submission: str | os.PathLike[str],
    *,
    seconds: float = SECONDS,
    epochs: int = EPOCHS,
    examples: int | None = EXAMPLES,
    grace: float = GRACE,
    startup: float = 15.0,
    max_bytes: int = 512 << 20,
    cores: int = CORES,
    wrap: Callable[[list[str], Path], list[str]] | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """Run ``train_best_model`` from the Python file ``submission`` in a separate process.

    The child process (``python -m dlnotes.capstone.harness``) runs in a fresh work folder
    inside a private temporary folder of the caller's (mode 700: no other user of the machine
    reaches the run's files), with a minimal environment (:func:`_child_env`; ``HOME`` and
    ``TMPDIR`` are the work folder); it loads the training and dev data itself
    (:func:`dlnotes.capstone.capstone_data`, never the hidden test set: neither its path nor its
    contents are given to it), calls the function with a :class:`Budget` that checkpoints to a
    file (with its record, see :meth:`Budget.save`), and writes the returned model as plain
    data (and ``epochs.txt``: the epochs counted, whether the budget saw the model, the
    :attr:`Budget.unwatched_seconds` when it returned, the :attr:`Budget.most_examples`, the
    :attr:`Budget.extra_steps`, the :attr:`Budget.late_epochs` and :attr:`Budget.late_seconds`;
    the budget checks ``examples`` as :class:`Budget` does). It is killed (with its whole
    process group) ``seconds + grace`` seconds after the budget starts (the harness says when, just
    before the submission's code runs), or ``startup + seconds + grace`` after it starts if it
    never gets there (``startup`` covers the Python and numpy imports and loading the data,
    which the budget does not count), and when its files pass ``max_bytes`` (checked every
    0.1 s, see :func:`_wait`). It runs on ``cores`` of the grader's CPUs (:data:`CORES`; where
    the system can pin a process, Linux), other than those of runs beside it (:func:`_cpus`).
    A model file that cannot be read safely scores like no model; every file read from the work
    folder (the model, the checkpoint, their records) is opened without following a link or
    waiting on a FIFO, checked to be a regular file and read with a size cap
    (:func:`_open_regular`).

    ``wrap(cmd, work_dir) -> cmd`` may rewrite the command, e.g. to run it inside a sandbox
    that can see ``submission``, ``work_dir``, the Python environment and ``dlnotes`` (at their
    paths, which the run can read) and no other file of the grader's (this is the hook for a
    grading engine; the default is a plain subprocess).

    Returns ``(plain_model or None, message)``: the returned model, else the last checkpoint,
    else None (zero points), with a message saying which and why, and a REVIEW note when the
    budget did not watch the training (:func:`_review_note`; for a checkpoint, from its record:
    a checkpoint without a readable one is flagged). The grader passes the plain model to
    :func:`dlnotes.capstone.evaluate_submission`.

    Defined in chapter 16 (Capstone project).
    """
    # over 80 lines: 30 of them are the docstring: the sandbox's rules, stated once where they are
    # enforced.
    path = Path(submission).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"submission file {path} does not exist")
    seconds = check_scalar("seconds", seconds, low=0.0, low_inclusive=False)
    epochs = int(check_scalar("epochs", epochs, low=1, integer=True))
    if examples is not None:
        examples = int(check_scalar("examples", examples, low=1, integer=True))
    grace = check_scalar("grace", grace, low=0.0)
    startup = check_scalar("startup", startup, low=0.0)
    max_bytes = int(check_scalar("max_bytes", max_bytes, low=1, integer=True))
    cores = int(check_scalar("cores", cores, low=1, integer=True))
    with _work_folder() as work, _cpus(cores) as cpus:
        out = Path(work) / "out"
        out.mkdir()
        cmd = [
            sys.executable,
            "-m",
            "dlnotes.capstone.harness",
            str(path),
            str(out),
            repr(seconds),
            str(epochs),
            str(examples),
        ]
        if wrap is not None:
            cmd = list(wrap(cmd, Path(work)))
        with _pinned(cpus):  # the process started here inherits this thread's CPUs
            proc = subprocess.Popen(
                cmd,
                cwd=work,
                env={**_child_env(), "HOME": str(work), "TMPDIR": str(work)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        stopped, started, stderr = _wait(proc, Path(work), seconds + grace, startup, max_bytes)
        review = "" if stopped is None else stopped[1]  # a stop not to be blamed on the run
        tail = stderr.strip().splitlines()[-1:] or [""]
        if not _real_folder(out):  # the run has ended: nothing can swap it back now
            return None, (
                "the run replaced its output folder (out) with a link or a file, so nothing in it "
                "was read: zero points; REVIEW: read the student's part 2 cell"
            )
        returned, checkpoint = out / "model.npz", out / "checkpoint.npz"
        why = None if stopped is None else stopped[0]
        if why is None and proc.returncode == 0 and returned.exists():
            plain, problem = _read_plain(returned)
            if plain is not None:
                return plain, _returned_message(out / "epochs.txt", epochs, examples, seconds)
            why = f"the returned model could not be read: {problem}"
        if why is None and not started:  # the harness's own error: no learner's code ran yet
            why = (
                f"the grading harness failed before the budget started (exit code "
                f"{proc.returncode}): {_plain_text(tail[0])}"
            )
        if why is None:
            said = f"; its last stderr line: {_quoted(tail[0])}" if tail[0].strip() else ""
            why = f"train_best_model failed (exit code {proc.returncode}){said}"
        if checkpoint.exists():
            plain, problem = _read_plain(checkpoint)
            if plain is not None:
                note = _checkpoint_note(out / "checkpoint.txt", plain, epochs, examples, seconds)
                return plain, f"{why}; scored from the last checkpoint{note}{review}"
            return None, (
                f"{why}; the last checkpoint could not be read ({problem}): zero points{review}"
            )
        return None, f"{why}; no checkpoint was handed to the budget: zero points{review}"


#: The most characters of the learner's own text (its process's last line on stderr) that a
#: run's message quotes: the message goes to the gradebook's reason and flagged cells, each cut
#: at 1000 characters, and a longer quote pushed the grader's REVIEW notes out of them.
MAX_QUOTE = 200


def _plain_text(text: str, limit: int = MAX_QUOTE) -> str:
    """``text`` on one line, at most ``limit`` characters (cut with ``…``): its control and
    invisible characters (terminal codes, bidirectional marks, a lone surrogate) as escapes,
    and the word ``REVIEW`` in lower case, so that only the grader's own notes carry it (the
    merge puts the run's REVIEW notes in the gradebook's ``flagged`` column)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text.strip())
    text = text.replace("REVIEW", "review")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(text: str) -> str:
    """The learner's ``text`` as a run's message quotes it: :func:`_plain_text` in « », with
    its own « and » written ‹ and ›, so that the quote ends only where the grader ends it and
    nothing the learner prints can pass for the grader's words."""
    return f"«{_plain_text(text.replace('«', '‹').replace('»', '›'))}»"


@contextmanager
def _cpus(cores: int) -> Iterator[list[int] | None]:
    """``cores`` CPUs of this process's for one run, held until the run ends, else ``None``.

    The CPUs are cut into slots of ``cores``; a run claims the first slot no other run on this
    machine holds (a lock file per slot in the temporary folder, released when the run ends or
    its grader dies), so that graders started side by side on a larger machine each get their
    own cores. ``None`` (no pinning) where the system cannot pin a process (not Linux), when
    ``cores`` covers every CPU, or when every slot is taken.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield None
        return
    import fcntl

    mine = sorted(os.sched_getaffinity(0))
    for slot in range(len(mine) // cores if cores < len(mine) else 0):
        lock = Path(tempfile.gettempdir()) / f"dlnotes-cpu-slot-{cores}-{slot}.lock"
        try:  # held for the run, closed below; no link, FIFO or other user's file followed
            held = os.fdopen(_open_regular(lock, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "a")
        except OSError:  # another user's lock file (theirs), or not a plain file
            continue
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another run holds this slot
            held.close()
            continue
        try:
            yield mine[slot * cores : (slot + 1) * cores]
        finally:
            held.close()  # releases the lock
        return
    yield None


@contextmanager
def _pinned(cpus: list[int] | None) -> Iterator[None]:
    """This thread pinned to ``cpus`` (nothing when ``None``) while the block runs: a process
    started in the block, and every thread and process it starts, keeps them."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


#: The line the harness prints (and flushes) when it has created the budget, just before the
#: submission's code runs: the caller's clock for ``seconds + grace`` starts there.
STARTED = "dlnotes-capstone: budget started"


def _wait(
    proc: subprocess.Popen, work: Path, allowed: float, startup: float, max_bytes: int
) -> tuple[tuple[str, str] | None, bool, str]:
    """Wait for the harness ``proc``. Its process group is killed when it runs past ``allowed``
    seconds after printing :data:`STARTED` (or ``startup + allowed`` after it started, if it
    never prints it), when :func:`_too_much` finds its work folder too large (checked every
    0.1 s, so a fast writer may pass the cap a little), and in any case when the wait ends,
    so nothing the submission started in that group outlives the run (a ``setsid`` child
    leaves the group: the grader's sandbox, a PID namespace, ends those). Returns (why it was
    stopped and a REVIEW note for the stop, ``""`` for none, or None; whether the budget
    started; the last 4 kB of its stderr). Its output is
    read as it comes and mostly dropped, so a flood of prints cannot fill the caller's
    memory. POSIX only (process groups)."""
    began = time.monotonic()
    started: list[float] = []
    err = bytearray()
    free_before = shutil.disk_usage(work).free

    def read_out() -> None:  # the marker is the harness's first line, before any of the
        assert proc.stdout is not None  # submission's output; the rest is read and dropped
        head: bytearray | None = bytearray()
        while chunk := proc.stdout.read1(1 << 16):  # type: ignore[attr-defined]
            if head is not None:
                head.extend(chunk)
                if b"\n" in head or len(head) > 4096:
                    if head.split(b"\n", 1)[0].decode("utf-8", "replace").strip() == STARTED:
                        started.append(time.monotonic())
                    head = None

    def read_err() -> None:
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(1 << 16):  # type: ignore[attr-defined]
            err.extend(chunk)
            del err[:-4096]

    readers = [threading.Thread(target=f, daemon=True) for f in (read_out, read_err)]
    for t in readers:
        t.start()
    stopped: tuple[str, str] | None = None
    try:
        while proc.poll() is None:
            time.sleep(0.1)
            deadline = started[0] + allowed if started else began + startup + allowed
            if time.monotonic() >= deadline:
                stopped = (
                    f"stopped at the wall-clock limit ({allowed:g} s after the budget started)"
                    if started
                    else f"stopped at the wall-clock limit ({startup + allowed:g} s, the "
                    "budget never started)",
                    "",
                )
            else:
                stopped = _too_much(work, max_bytes, free_before)
            if stopped:
                break
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        end = time.monotonic() + 2.0  # readers end at EOF; a setsid child may hold the pipes
        for t in readers:
            t.join(timeout=max(0.0, end - time.monotonic()))
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None and not any(t.is_alive() for t in readers):
                pipe.close()
    return stopped, bool(started), err.decode("utf-8", "replace")


def _too_much(work: Path, max_bytes: int, free_before: int) -> tuple[str, str] | None:
    """Why the run's files are too much, with a REVIEW note for a stop that may not be the
    run's doing (else ``""``), or None: more than ``max_bytes`` in the work folder, more than
    10 000 entries or 64 levels of folders in it, a folder that cannot be read, or the disk's
    free space down by more than twice ``max_bytes`` since the run began.

    The last is the only guard against files written and unlinked while still open (they show
    in no folder), but it measures the whole disk: another grader started beside this one,
    or any large write on the machine, moves it as well, and this run cannot be told from the
    other. So that stop says what was measured, blames no one and is flagged for review: grade
    that student again alone (the run that used the space, when it is a run, is stopped and
    flagged the same way)."""
    total = count = 0
    todo = [(str(work), 0)]
    while todo:
        folder, depth = todo.pop()
        if depth > 64:
            return "stopped: its folders are nested more than 64 deep", ""
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    count += 1
                    if count > 10_000:
                        return "stopped: it made more than 10 000 files and folders", ""
                    if entry.is_dir(follow_symlinks=False):
                        todo.append((entry.path, depth + 1))
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        except FileNotFoundError:
            continue  # removed while we looked
        except OSError as err:
            return f"stopped: a folder of its own cannot be read ({type(err).__name__})", ""
        if total > max_bytes:
            return f"stopped: its files grew past {max_bytes >> 20} MiB", ""
    fell = free_before - shutil.disk_usage(work).free
    if fell > 2 * max_bytes:
        return (
            f"stopped: the disk's free space fell by {fell >> 20} MiB while it ran (the limit "
            f"is {2 * max_bytes >> 20} MiB), not necessarily by this run: its work folder held "
            f"{total >> 20} MiB",
            "; REVIEW: the disk's free space fell by more than this run's work folder holds; "
            "another grader or program on this machine may have used it (or the run wrote "
            "files it deleted while still open): grade this student again alone",
        )
    return None


@contextmanager
def _work_folder() -> Iterator[str]:
    """A temporary folder for one run, removed afterwards even when the run left a tree too
    deep for Python's recursive removal. It is ``work`` inside a private folder of the
    grader's (``mkdtemp``: mode 700, the grader's own) in the shared temporary folder, so that
    no other user of the machine can reach the run's files, whatever modes the sandbox's user
    needs on ``work`` itself (the sandbox shows ``work`` at the same place, under parents of
    its own)."""
    private = tempfile.mkdtemp(prefix="dlnotes-capstone-")
    os.chmod(private, 0o700)
    work = os.path.join(private, "work")
    os.mkdir(work, 0o700)
    try:
        yield work
    finally:
        shutil.rmtree(private, ignore_errors=True)
        if os.path.exists(private):
            subprocess.run(["rm", "-rf", "--", private], check=False, capture_output=True)


def _real_folder(path: Path) -> bool:
    """``path`` is a folder itself, not a symbolic link to one: ``O_NOFOLLOW`` guards only the
    last part of a path, and a learner's code that replaced ``out`` by a link to another folder
    had the grader (outside the sandbox, as root) read and score the files found there."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A file descriptor of ``path``, opened without following a link (``O_NOFOLLOW``) or
    waiting on a FIFO or device (``O_NONBLOCK``), checked to be a regular file by ``fstat``
    on that descriptor (so no swap between a check and the open can change what is read):
    a file in a learner's work folder, or in the shared temporary folder, is opened so. Raises
    ``OSError`` otherwise."""
    extra = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags | extra | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{Path(path).name} is not a plain file")
        return fd
    except BaseException:
        os.close(fd)
        raise


def _read_small(path: Path, limit: int) -> bytes:
    """At most ``limit`` bytes of the regular file ``path`` (see :func:`_open_regular`), and
    ``OSError`` when it holds more."""
    with os.fdopen(_open_regular(path), "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{Path(path).name} holds more than {limit} bytes")
    return data


#: The most of the run's record (``epochs.txt``: nine short lines) the caller reads.
MAX_EPOCHS_BYTES = 128


def _returned_message(
    epochs_file: Path, epochs: int, examples: int | None, seconds: float = SECONDS
) -> str:
    """The run's message for a returned model, with the epochs the budget counted, whether it
    saw the returned weights, the seconds of the budget outside its counted epochs, the most
    examples of a counted epoch, the most optimizer steps of a counted epoch beyond fit's
    own, and the counted epochs that began after the budget's ``seconds`` ran out with how
    long after the latest began (as the learner's process reported them, the lines of
    ``epochs.txt``: a best-effort flag, not a proof; the harness writes all nine, a record of
    four, from before the steps were counted, is read as none of either, one of five, from
    before the late epochs were counted, as none of them, and one of seven, from before the
    eighth line said which fit the budget cut short (:attr:`Budget.cut_record`), as none: the
    message then says it as :func:`train_within_budget` does; the ninth is the
    :attr:`Budget.first_loss`, ``nan`` or missing for none, not flagged). A record that is
    missing or cannot be read is flagged (a late-epoch count below 0 or above the epochs, or a
    time that is not a finite number of seconds, too): the harness writes it before the
    model."""
    try:  # a link, a FIFO or a flood the learner's code put there is no record
        lines = _read_small(epochs_file, MAX_EPOCHS_BYTES).decode("utf-8").split()
        used, saw, unwatched = int(lines[0]), lines[1:2] == ["1"], float(lines[2])
        most, steps = int(lines[3]), int(lines[4]) if len(lines) > 4 else 0
        late = _late(used, lines[5:7]) if len(lines) > 5 else (0, 0.0)
        cut = _cut_note(lines[7], epochs, seconds) if len(lines) > 7 else ""
        first = float(lines[8]) if len(lines) > 8 else math.nan  # nan: not recorded
    except (OSError, ValueError, IndexError):
        return (
            "train_best_model returned a model within the budget; REVIEW: the run's record "
            f"({epochs_file.name}, written by the grading harness with the model) is missing or "
            "cannot be read"
        )
    return (
        f"train_best_model returned a model within the budget ({used} budgeted epochs){cut}"
        + _review_note(
            used,
            epochs,
            saw,
            unwatched,
            (most, examples),
            steps=steps,
            late=late,
            seconds=seconds,
            first_loss=first,
        )
    )


def _late(used: int, fields: list[str]) -> tuple[int, float]:
    """The late epochs and seconds of a record's two ``fields``, or ``ValueError`` when they are
    not a count from 0 to the ``used`` epochs and a finite number of seconds from 0 (a line
    short, a fingerprint where a count should be: a record of another format, or forged)."""
    if len(fields) != 2:
        raise ValueError("the late epochs' line or seconds are missing")
    count, seconds = int(fields[0]), float(fields[1])
    if not (0 <= count <= used and math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"not a record of late epochs: {count} {seconds}")
    return count, seconds


#: The most of a checkpoint's record (``checkpoint.txt``) the caller reads: its fingerprints
#: take 65 bytes an epoch.
MAX_RECORD_BYTES = 1 << 20


def _checkpoint_note(
    record: Path,
    plain: Mapping[str, Any],
    epochs: int,
    examples: int | None,
    seconds: float = SECONDS,
) -> str:
    """The budgeted epochs and REVIEW note of the checkpoint ``plain``, from the record that
    :meth:`Budget.save` wrote next to it (the epochs counted, the unwatched seconds, the most
    examples of a counted epoch, the most optimizer steps of a counted epoch beyond fit's own,
    the counted epochs that began after the budget's ``seconds`` ran out and how long after
    the latest began, the :attr:`Budget.cut_record` of the last fit the budget cut short, said
    as :func:`train_within_budget` says it, and the fingerprints of the models seen at counted
    epochs' ends).
    A record that is missing or cannot be read is flagged: the budget writes one before every
    checkpoint. So is a record of the format before the late epochs were counted (its fifth
    line is a fingerprint, not a count) or a line short: a record of this package's budget
    always has all six numbers."""
    try:  # read as _returned_message reads epochs.txt
        with os.fdopen(_open_regular(record), "rb") as fh:
            lines = fh.read(MAX_RECORD_BYTES).decode("utf-8").split()
        used, unwatched, most = int(lines[0]), float(lines[1]), int(lines[2])
        steps, late = int(lines[3]), _late(int(lines[0]), lines[4:6])
        # a seventh line may say which fit the budget cut short; else (no cut, or an older
        # record) it is the first fingerprint (64 hex digits), never e or s and 1 to 9 digits
        cut, first, rest = "", math.nan, lines[6:]
        if rest and re.fullmatch(r"-|[es]\d{1,9}", rest[0]):
            cut, rest = _cut_note(rest[0], epochs, seconds), rest[1:]
        if rest and rest[0].startswith("L"):  # the first counted steps' loss
            first, rest = float(rest[0][1:]), rest[1:]
        seen = set(rest)
    except (OSError, ValueError, IndexError):
        return (
            f"; REVIEW: the checkpoint's record ({record.name}, written by the budget with "
            "every checkpoint) is missing or cannot be read"
        )
    saw = _fingerprint(plain) in seen
    note = _review_note(
        used,
        epochs,
        saw,
        unwatched,
        (most, examples),
        what="checkpoint's",
        steps=steps,
        late=late,
        seconds=seconds,
        first_loss=first,
    )
    return f" ({used} budgeted epochs){cut}{note}"


def _review_note(
    used: int,
    epochs: int,
    saw: bool,
    unwatched: float,
    examples: tuple[int, int | None],
    *,
    what: str = "returned",
    steps: int = 0,
    late: tuple[int, float] = (0, 0.0),
    seconds: float = SECONDS,
    learner: bool = False,
    first_loss: float = math.nan,
) -> str:
    """A flag for the instructor when the budget did not watch the training: no epoch went
    through it (the epoch limit went unchecked), more epochs than allowed, more than
    :data:`UNWATCHED_SECONDS` of the budget passed outside its counted epochs (``unwatched``: time
    enough to train without it), a counted epoch went through more examples than allowed
    (``examples``: the most of one epoch and the limit, None for none: an enlarged training
    set), a counted epoch in which fit's optimizer took ``steps`` steps more than fit made
    (training inside the epoch by the learner's own code, :meth:`Budget._count_steps`), counted
    epochs that began after the budget's ``seconds`` ran out (``late``: how many, and how long
    after the latest began, :meth:`Budget._count_late`: a ``fit`` called in the grace seconds),
    or the model (the ``what`` weights: the returned model's, or the checkpoint's scored in
    its place) is not one the budget saw at the end of a counted epoch (it was trained or
    changed after the budget's last epoch, e.g. in the grace seconds, or trained without it and
    saved by hand; folding or averaging weights is fine, training is not). ``learner``: the
    notebook's run, whose notes the learner reads (see :func:`_late_note`)."""
    most, allowed = examples
    if not used:
        return (
            "; REVIEW: no epoch went through the budget (fit without callbacks=[budget], or a "
            f"loop of its own), so the {epochs}-epoch limit was not enforced"
        )
    if used > epochs:
        return (
            f"; REVIEW: the budget counted {used} epochs, more than its {epochs} (fit called again "
            "after it said stop, or its limit changed)"
        )
    if not (unwatched <= UNWATCHED_SECONDS):  # a NaN from a forged file is flagged too
        return (
            f"; REVIEW: {unwatched:.1f} s of the budget passed outside the epochs it counted "
            f"(more than {UNWATCHED_SECONDS:g} s: training without it is not allowed)"
        )
    if allowed is not None and most < 0:
        return (
            "; REVIEW: a counted epoch's training examples were not recorded (its history's "
            "examples were changed before the budget read them), so the size of the training "
            "set was not checked"
        )
    if allowed is not None and most > allowed:
        sets = " (the training and dev sets together)" if allowed == EXAMPLES else ""
        return (
            f"; REVIEW: a counted epoch went through {most} examples, more than the {allowed} "
            f"allowed{sets}: images from outside the data (such as the shipped test images), "
            "copies or stored augmentations make one counted epoch more than one pass over "
            "the data; augmenting each batch, fit(augment=...), does not"
        )
    if steps > 0:
        return (
            f"; REVIEW: in a counted epoch fit's optimizer took {steps} steps more than fit "
            "made: the learner's own code (an augment function, the schedule, the loss or "
            "another callback) trained inside the epoch, more than one pass counted as one"
        )
    if late[0] > 0:
        return _late_note(*late, seconds, learner=learner)
    if first_loss < FIRST_LOSS:  # NaN (not recorded) is not flagged
        return _first_loss_note(first_loss, learner=learner)
    if not saw:
        return (
            f"; REVIEW: the {what} weights differ from the model at the end of every epoch the "
            "budget counted (changed after its last epoch, or trained without it: folding or "
            "averaging weights is fine, training on is not)"
        )
    return ""


def _first_loss_note(loss: float, *, learner: bool = False) -> str:
    """:func:`_review_note`'s flag for a first counted steps' ``loss`` below
    :data:`FIRST_LOSS`: the instructor is told to read the cell, the ``learner`` what to do."""
    what = (
        "start train_best_model from a freshly initialised network (a loss other than "
        "cross-entropy can also start this low: then the grader's reviewer reads your cell)"
        if learner
        else "was it trained before the budget? read the cell"
    )
    return (
        f"; REVIEW: the first training steps' loss was {loss:.2f} (their mean over the first "
        f"counted epoch's first {FIRST_EXAMPLES} examples or more); an untrained 10-class "
        f"network starts near 2.3: {what}"
    )


def _late_note(count: int, after: float, seconds: float, *, learner: bool = False) -> str:
    """:func:`_review_note`'s flag for ``count`` counted epochs that began after the budget's
    ``seconds`` ran out, the latest ``after`` seconds after (to 2 decimals below 10 s, so that
    a time just past :data:`LATE_TOLERANCE` does not read as within it). The instructor is told
    to read the cell; the ``learner`` (the notebook's run) how to avoid the flag."""
    took = f"{after:.2f}" if after < 10 else f"{after:.1f}"
    when = " (in the grace seconds)" if after <= GRACE else ""
    began = (
        f"an epoch began {took} s after the {seconds:g} s ran out"
        if count == 1
        else f"{count} epochs began after the {seconds:g} s ran out, the latest {took} s after"
    )
    what = (
        "pass the budget itself to every fit (callbacks=[budget]) and do not work around its "
        "stop: a fit called after the time ran out then trains nothing"
        if learner
        else "read the cell"
    )
    return (
        f"; REVIEW: {began}{when}: only an epoch under way when the time runs out may "
        f"finish; {what}"
    )


#: Batch norm's running statistics, left out of :func:`_fingerprint`: a forward pass in train
#: mode after the last epoch (or recomputing the statistics) moves them, and is not training.
_BUFFERS = frozenset(BatchNorm(1).buffers)


def _fingerprint(plain: Mapping[str, Any]) -> str:
    """A hash of a plain model: every entry with its name, the arrays (weights) with their
    dtypes and shapes, and the plain values (the format, the number of layers, each layer's
    type and settings: sizes, ``eps``, ``momentum``, a dropout's ``p``, a leaky slope), so
    that replacing a layer or changing a setting changes it too. Batch norm's running
    statistics are left out (:data:`_BUFFERS`): two models with the same fingerprint compute
    the same function up to them, and a model after a forward pass in train mode keeps its
    fingerprint. The same for a model's :func:`model_to_plain` data and for that data written
    with ``np.savez`` and read back (plain values come back as 0-d arrays)."""
    digest = hashlib.sha256()
    for key in sorted(plain):
        value = plain[key]
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()  # np.savez stores plain values as 0-d arrays
        if isinstance(value, np.ndarray):
            if key.partition(".")[2] in _BUFFERS:
                continue
            digest.update(f"{key}|{value.dtype.str}|{value.shape}|".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            if isinstance(value, np.generic):
                value = value.item()
            digest.update(f"{key}|{type(value).__name__}|{value!r}|".encode())
    return digest.hexdigest()


#: The largest model file the caller reads (its arrays, uncompressed): a network that trains in
#: 45 s on 784 inputs is far smaller.
MAX_MODEL_BYTES = 256 << 20


def _read_plain(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The plain model the child wrote at ``path``, or (None, why it cannot be read). The file
    comes from the learner's process, so it is read as stored data only: no link (it would
    point the caller at a file of its own choosing), no compressed member (a small file could
    expand to many GiB in the caller's memory), at most :data:`MAX_MODEL_BYTES`, no pickle."""
    try:
        fd = _open_regular(path)  # the one open file both reads below go through
    except OSError:
        return None, f"{path.name} is not a plain file"
    try:
        with os.fdopen(fd, "rb") as fh:
            with zipfile.ZipFile(fh) as archive:
                members = archive.infolist()
                if any(m.compress_type != zipfile.ZIP_STORED for m in members):
                    return None, f"{path.name} has compressed members (np.savez writes none)"
                if sum(m.file_size for m in members) > MAX_MODEL_BYTES:
                    return None, f"{path.name} holds more than {MAX_MODEL_BYTES >> 20} MiB"
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}, ""
    except Exception as err:  # a truncated or forged file: the learner's, not the caller's
        return None, f"{path.name} cannot be read ({type(err).__name__})"
