"""Objective functions with value, gradient and Hessian: the terrain optimizers walk on.

Every landscape maps a point ``x`` of shape ``(..., d)`` to

* ``f(x)``: the value, shape ``(...)``;
* ``grad(x)``: the gradient, shape ``(..., d)``;
* ``hessian(x)``: the Hessian, shape ``(..., d, d)``.

Evaluating on a batch of points is what makes contour plots cheap: ``f(grid)`` with ``grid`` of
shape ``(ny, nx, 2)`` gives the whole contour field at once.

Defined in chapter 02 (Conditioning and the loss landscape).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlnotes._validate import as_float_array, check_scalar
from dlnotes.layers._base import seed_to_rng

__all__ = [
    "Landscape",
    "NoisyGradient",
    "Quadratic",
    "Rosenbrock",
    "Saddle",
    "ill_conditioned_quadratic",
    "random_rotated_quadratic",
    "random_symmetric_matrix",
    "rotation",
]


class Landscape:
    """Base class: a smooth function of ``d`` variables.

    Subclasses implement ``_f``, ``_grad`` and ``_hessian`` on validated float arrays of shape
    ``(..., d)``; the public methods check the shape once and say what was expected.
    """

    dim: int
    #: Where the global minimum is (``None`` if unbounded below), and its value.
    minimizer: np.ndarray | None = None
    f_min: float = -math.inf
    #: Default plotting window ``((x_lo, x_hi), (y_lo, y_hi))`` for 2-D landscapes.
    window: tuple[tuple[float, float], tuple[float, float]] = ((-2.0, 2.0), (-2.0, 2.0))

    def _point(self, x: Any) -> np.ndarray:
        arr = as_float_array("x", x)
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise ValueError(
                f"x must have shape (..., {self.dim}) for this {type(self).__name__}, "
                f"got {arr.shape}"
            )
        return arr

    def f(self, x: Any) -> np.ndarray:
        """Value at ``x`` (shape ``(..., d)``) as an array of shape ``(...)``."""
        return self._f(self._point(x))

    def grad(self, x: Any) -> np.ndarray:
        """Gradient at ``x``: shape ``(..., d)``."""
        return self._grad(self._point(x))

    def hessian(self, x: Any) -> np.ndarray:
        """Hessian at ``x``: shape ``(..., d, d)``."""
        return self._hessian(self._point(x))

    def __call__(self, x: Any) -> np.ndarray:
        return self.f(x)

    def _f(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _grad(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _hessian(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def rotation(theta: float) -> np.ndarray:
    """2-D rotation matrix ``R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]]``, shape ``(2, 2)``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    theta = check_scalar("theta", theta)
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


class Quadratic(Landscape):
    """The quadratic bowl ``f(x) = ½ xᵀ A x - bᵀ x + c`` with symmetric ``A`` of shape ``(d, d)``.

    ``A`` (square, symmetric) and ``b`` (shape ``(d,)``, default 0) must be finite, as ``c``.
    Gradient ``A x - b``, Hessian ``A`` everywhere. When ``A`` is positive definite the minimum is
    at ``x* = A⁻¹ b``; gradient descent with step ``lr`` is stable iff ``lr < 2 / L`` where
    ``L = λ_max(A)``, and the condition number ``κ = λ_max / λ_min`` sets how slowly it converges.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """

    def __init__(self, A: Any, b: Any = None, c: float = 0.0) -> None:
        A = as_float_array("A", A, ndim=2).astype(np.float64)
        d = A.shape[0]
        if A.shape != (d, d):
            raise ValueError(f"A must be square, got shape {A.shape}")
        if not np.all(np.isfinite(A)):
            raise ValueError("A must be finite (no NaN or inf)")
        if not np.allclose(A, A.T, rtol=1e-10, atol=1e-12):
            raise ValueError("A must be symmetric (A == A.T)")
        self.A = (A + A.T) / 2
        self.b = np.zeros(d) if b is None else as_float_array("b", b, shape=(d,)).astype(float)
        if not np.all(np.isfinite(self.b)):
            raise ValueError("b must be finite (no NaN or inf)")
        self.c = check_scalar("c", c)
        self.dim = d
        self.eigenvalues = np.linalg.eigvalsh(self.A)
        if self.eigenvalues[0] > 0:
            self.minimizer = np.linalg.solve(self.A, self.b)
            self.f_min = float(self._f(self.minimizer))
            r = 2.0 * float(np.max(np.abs(self.minimizer))) + 2.0
            self.window = ((-r, r), (-r, r))

    @property
    def L(self) -> float:
        """Largest eigenvalue of ``A``: the Lipschitz constant of the gradient (smoothness)."""
        return float(self.eigenvalues[-1])

    @property
    def mu(self) -> float:
        """Smallest eigenvalue of ``A`` (strong convexity when positive)."""
        return float(self.eigenvalues[0])

    @property
    def kappa(self) -> float:
        """Condition number ``κ = L / μ`` (``inf`` if ``A`` is not positive definite)."""
        return self.L / self.mu if self.mu > 0 else math.inf

    def _f(self, x: np.ndarray) -> np.ndarray:
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.A, x) - x @ self.b + self.c

    def _grad(self, x: np.ndarray) -> np.ndarray:
        return x @ self.A - self.b  # A is symmetric, so x A = (A x)ᵀ

    def _hessian(self, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.A, (*x.shape[:-1], self.dim, self.dim)).copy()


def ill_conditioned_quadratic(
    kappa: float, *, L: float = 1.0, theta: float = 0.0, dim: int = 2
) -> Quadratic:
    """A bowl with curvatures between ``L/κ`` and ``L``, minimum 0 at the origin.

    In 2-D, ``A = R(θ) diag(L, L/κ) R(θ)ᵀ``: ``θ = 0`` aligns the steep direction with the first
    axis (what per-coordinate methods such as Adam can fix); ``θ = π/4`` tilts it so that no
    per-coordinate scaling helps (chapter 05). In ``dim > 2`` dimensions the eigenvalues are spread
    geometrically from ``L`` down to ``L/κ`` along the axes (``theta`` must be 0). In one
    dimension there is one curvature, ``L``, so only ``κ = 1`` is possible.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    kappa = check_scalar("kappa", kappa, low=1.0)
    L = check_scalar("L", L, low=0.0, low_inclusive=False)
    dim = int(check_scalar("dim", dim, low=1, integer=True))
    if dim == 1 and kappa != 1.0:
        raise ValueError(
            f"kappa > 1 needs dim >= 2: a 1-D bowl has one curvature, L, so its condition "
            f"number is 1; got kappa={kappa} with dim=1"
        )
    eig = L * np.geomspace(1.0, 1.0 / kappa, dim) if dim > 1 else np.array([L])
    if dim == 2:
        R = rotation(theta)
        A = R @ np.diag(eig) @ R.T
    else:
        if theta != 0.0:
            raise ValueError(f"theta is only supported in 2-D, got dim={dim} and theta={theta}")
        A = np.diag(eig)
    return Quadratic(A)


def random_rotated_quadratic(
    rng: np.random.Generator, dim: int, kappa: float, L: float = 1.0
) -> Quadratic:
    """A bowl ``A = Q diag(L, ..., L/κ) Qᵀ`` with a random rotation ``Q`` (from ``rng``).

    The curvatures are spread geometrically from ``L`` down to ``L/κ``, as in
    :func:`ill_conditioned_quadratic`, but no axis is an eigenvector: what a per-coordinate method
    cannot exploit. Minimum 0 at the origin.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    dim = int(check_scalar("dim", dim, low=1, integer=True))
    kappa = check_scalar("kappa", kappa, low=1.0)
    L = check_scalar("L", L, low=0.0, low_inclusive=False)
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    return Quadratic(Q @ np.diag(L * np.geomspace(1.0, 1.0 / kappa, dim)) @ Q.T)


class Rosenbrock(Landscape):
    """Rosenbrock's banana valley ``f(x, y) = (a - x)² + b (y - x²)²``, minimum 0 at ``(a, a²)``.

    The valley floor ``y = x²`` is flat along its length and steep across it: its Hessian at the
    minimum has condition number about 2500 for ``a=1, b=100``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """

    dim = 2
    window = ((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = check_scalar("a", a)
        self.b = check_scalar("b", b, low=0.0, low_inclusive=False)
        self.minimizer = np.array([self.a, self.a**2])
        self.f_min = 0.0

    def _f(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        dx = -2 * (self.a - x) - 4 * self.b * x * (y - x**2)
        dy = 2 * self.b * (y - x**2)
        return np.stack([dx, dy], axis=-1)

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        x, y = p[..., 0], p[..., 1]
        hxx = 2 - 4 * self.b * (y - 3 * x**2)
        hxy = -4 * self.b * x
        hyy = np.full_like(x, 2 * self.b)
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)


class Saddle(Landscape):
    """A saddle with two minima: ``f(x, y) = ½ a x² - ½ b y² + ¼ y⁴``, optionally rotated.

    The origin is a saddle point (curvature ``a`` along x, ``-b`` along y); the minima sit at
    ``(0, ±√b)`` with value ``-b²/4``. Started exactly on the ridge ``y = 0``, gradient descent
    converges to the saddle; a tiny ``y`` grows only like ``(1 + lr·b)^t``, which is the plateau.

    With ``theta`` (radians) the whole landscape is turned by ``R(θ)``: ``f_θ(p) = f(R(θ)ᵀ p)``,
    so the ridge and the escape direction are ``R(θ) e_x`` and ``R(θ) e_y`` (at ``θ = π/4`` both
    are diagonals, and escaping needs both coordinates, which matters to per-coordinate methods,
    chapter 05). Gradient ``R ∇f(Rᵀ p)``, Hessian ``R H Rᵀ``; minima ``±√b R(θ) e_y``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """

    dim = 2
    window = ((-2.0, 2.0), (-2.0, 2.0))

    def __init__(self, a: float = 1.0, b: float = 1.0, *, theta: float = 0.0) -> None:
        self.a = check_scalar("a", a, low=0.0, low_inclusive=False)
        self.b = check_scalar("b", b, low=0.0, low_inclusive=False)
        self.theta = check_scalar("theta", theta)
        self.R = rotation(self.theta)
        self.minimizer = self.R @ np.array([0.0, math.sqrt(self.b)])
        self.f_min = -(self.b**2) / 4
        self.saddle_point = np.zeros(2)

    def _local(self, p: np.ndarray) -> np.ndarray:
        """Coordinates along the ridge and the escape direction: ``Rᵀ p`` (``p`` when θ = 0)."""
        return p if self.theta == 0.0 else p @ self.R

    def _f(self, p: np.ndarray) -> np.ndarray:
        q = self._local(p)
        x, y = q[..., 0], q[..., 1]
        return 0.5 * self.a * x**2 - 0.5 * self.b * y**2 + 0.25 * y**4

    def _grad(self, p: np.ndarray) -> np.ndarray:
        q = self._local(p)
        x, y = q[..., 0], q[..., 1]
        g = np.stack([self.a * x, -self.b * y + y**3], axis=-1)
        return g if self.theta == 0.0 else g @ self.R.T

    def _hessian(self, p: np.ndarray) -> np.ndarray:
        q = self._local(p)
        x, y = q[..., 0], q[..., 1]
        zero = np.zeros_like(x)
        hxx = np.full_like(x, self.a)
        hyy = -self.b + 3 * y**2
        H = np.stack([np.stack([hxx, zero], -1), np.stack([zero, hyy], -1)], -2)
        return H if self.theta == 0.0 else self.R @ H @ self.R.T


class NoisyGradient(Landscape):
    """A landscape whose ``grad`` adds Gaussian noise ``N(0, σ² I)``: a stand-in for mini-batches.

    ``f`` and ``hessian`` are the clean ones. The noise comes from the landscape's own
    ``np.random.Generator`` seeded by ``seed`` (an int >= 0, a Generator used as is, or None),
    so a run is reproducible: the first run on a new ``NoisyGradient`` with an int seed gives the
    same iterates every time. The generator is not reset between runs, so a second run on the
    same object draws other noise; build a new one per run to repeat it.

    Defined in chapter 03 (Mini-batches and moving averages).
    """

    def __init__(
        self, landscape: Landscape, sigma: float, seed: int | np.random.Generator | None = 0
    ) -> None:
        if not isinstance(landscape, Landscape):
            raise TypeError(f"landscape must be a Landscape, got {type(landscape).__name__}")
        self.clean = landscape
        self.sigma = check_scalar("sigma", sigma, low=0.0)
        self.rng = seed_to_rng(seed)
        self.dim = landscape.dim
        self.minimizer, self.f_min, self.window = (
            landscape.minimizer,
            landscape.f_min,
            landscape.window,
        )

    def _f(self, x: np.ndarray) -> np.ndarray:
        return self.clean._f(x)

    def _grad(self, x: np.ndarray) -> np.ndarray:
        return self.clean._grad(x) + self.sigma * self.rng.standard_normal(x.shape)

    def _hessian(self, x: np.ndarray) -> np.ndarray:
        return self.clean._hessian(x)


def random_symmetric_matrix(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A random symmetric ``(dim, dim)`` matrix from the Gaussian orthogonal ensemble (scaled):
    Gaussian entries, independent on and above the diagonal, the diagonal ones with twice the
    variance of the others (``2/dim`` against ``1/dim``).

    Used as the Hessian at a random critical point: its eigenvalue signs tell a minimum (all
    positive) from a saddle (mixed). Entries: ``H = (G + Gᵀ) / √(2·dim)``.

    Defined in chapter 02 (Conditioning and the loss landscape).
    """
    dim = int(check_scalar("dim", dim, low=1, integer=True))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    G = rng.standard_normal((dim, dim))
    return (G + G.T) / math.sqrt(2 * dim)
