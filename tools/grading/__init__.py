"""The out-of-process grading engine behind ``tasks.py grade`` and ``tasks.py key``.

* :mod:`plain`: results as plain data (JSON + ``.npz`` without pickle) and back;
* :mod:`harness`: the script that runs INSIDE the sandbox: the master's imports, the
  submission's answer cells, then the learner's function on the key's cases;
* :mod:`sandbox`: bubblewrap + resource limits + wall clock, one fresh process per exercise;
* :mod:`keys`: the instructor key (hidden cases from a private seed, expected outputs);
* :mod:`compare`: the grader's own comparison of plain data with the key;
* :mod:`flags`: static (AST) signs of copying or of circumventing the grader;
* :mod:`engine`: one submission's notebook -> per-exercise scores, reasons and flags.
"""
