"""Data for Parts II and III: datasets, splits, normalization, mini-batches, augmentation.

Everything works offline: scikit-learn's digits are bundled with scikit-learn, a Fashion-MNIST
subset ships with dlnotes (``fashion_mnist_subset.npz``, MIT licence, (c) 2017 Zalando SE, see
``LICENSE-fashion-mnist.txt``), and the synthetic 2-D sets are generated from a seed.

==============================  ==========================================================
``load_digits``                 1797 digit images 8x8, pixels in [0, 1]
``load_fashion_mnist_subset``   6000 train + 2000 test Fashion-MNIST images 28x28 (shipped)
``load_fashion_mnist``          the full 60000 + 10000 from a local folder of idx files
``make_spirals/moons/circles``  synthetic 2-D classification sets
``train_dev_test_split``        stratified, seeded splits
``Standardizer``                normalization fitted on the training split only
``minibatches``                 a seeded mini-batch iterator
``random_flip/shift/crop``,     image augmentation, and ``Augmenter`` chaining them
``random_rotation/scale``,
``random_brightness/contrast``,
``add_noise``
==============================  ==========================================================

Defined in chapter 01 (Setting up a learning problem).
"""

# The package's names are its modules' own, each listed once, in the module's __all__.
from dlnotes.data import augment, datasets, preprocessing
from dlnotes.data.augment import *  # noqa: F403
from dlnotes.data.datasets import *  # noqa: F403
from dlnotes.data.preprocessing import *  # noqa: F403

__all__ = []
__all__ += datasets.__all__
__all__ += preprocessing.__all__
__all__ += augment.__all__
