"""dlnotes: numpy reference implementations for *Training Deep Networks, an interactive course*.

The package has three floors and imports only point down (``tests/test_floors.py`` holds the
list and CONTRIBUTING.md says where a new module goes):

* numerics (numpy only): :mod:`dlnotes.landscapes`, :mod:`dlnotes.optim`,
  :mod:`dlnotes.schedules`, :mod:`dlnotes.averages`, :mod:`dlnotes.layers`,
  :mod:`dlnotes.losses`, :mod:`dlnotes.init`, :mod:`dlnotes.gradcheck`, :mod:`dlnotes.data`,
  :mod:`dlnotes.bayesopt`, :mod:`dlnotes.autograd` (reverse-mode automatic differentiation,
  chapter 15), and the argument checks of ``dlnotes._validate``;
* training: :mod:`dlnotes.model`, :mod:`dlnotes.train`, :mod:`dlnotes.torch_bridge` (models and
  optimizer checkpoints to and from PyTorch; it imports torch only inside its functions, so no
  module of ``dlnotes`` needs torch);
* teaching faces: :mod:`dlnotes.plots`, :mod:`dlnotes.widgets`, :mod:`dlnotes.explorers`,
  :mod:`dlnotes.exercises`, :mod:`dlnotes.quizzes`, :mod:`dlnotes.tuning`, :mod:`dlnotes.zoo`,
  :mod:`dlnotes.capstone`.

Importing ``dlnotes`` itself is cheap: submodules are imported by name when needed.
"""

__version__ = "0.2.0"
