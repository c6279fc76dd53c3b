"""Correct-but-different solutions of the exercises, one module per chapter (``chNN.py``).

Each module defines ``ALTERNATIVES: dict[str, list[Callable]]``: exercise name → solutions that
differ from the reference in how they compute (loops vs vectorised, another allowed dtype,
renamed parameters, another library call) but are right. For a value exercise the list holds
accepted values instead. ``tests/test_feedback_alternatives.py`` checks that each passes the
visible and the hidden (practice seed) suite: the checkers must never reject a right answer.

Alternatives must be written from the task, not by calling ``dlnotes``' reference (the checker
scores that zero).
"""
