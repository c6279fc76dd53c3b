"""dlnotes: numpy reference implementations for *Training Deep Networks, an interactive course*.

The package has three floors and imports only point down:

* numerics (numpy only): :mod:`dlnotes.landscapes`, :mod:`dlnotes.optim`,
  :mod:`dlnotes.schedules`, :mod:`dlnotes.averages`, :mod:`dlnotes.layers`,
  :mod:`dlnotes.losses`, :mod:`dlnotes.init`, :mod:`dlnotes.gradcheck`, :mod:`dlnotes.data`;
* training: :mod:`dlnotes.model`, :mod:`dlnotes.train`;
* teaching faces: :mod:`dlnotes.plots`, :mod:`dlnotes.widgets`, :mod:`dlnotes.exercises`,
  :mod:`dlnotes.tuning`, :mod:`dlnotes.zoo`.

Importing ``dlnotes`` itself is cheap: submodules are imported by name when needed.
"""

__version__ = "0.2.0"
