"""Points and weights for the path integral of Integrated Gradients.

The same points as captum's ``approximation_parameters``, so that govkit's
attributions agree with captum's for the same method and number of steps.
One deliberate difference: captum's trapezoid rule weights ``n`` points
spaced ``1/(n-1)`` apart by ``1/n``, so its weights sum to ``1 - 1/n``;
govkit uses the textbook weights ``1/(n-1)`` (halved at the ends), which
sum to 1 and keep the completeness property.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["QUADRATURE_METHODS", "QuadratureMethod", "quadrature"]

QuadratureMethod = Literal[
    "gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle"
]
QUADRATURE_METHODS: tuple[str, ...] = (
    "gausslegendre",
    "riemann_trapezoid",
    "riemann_left",
    "riemann_right",
    "riemann_middle",
)


def quadrature(
    n_steps: int, method: QuadratureMethod = "gausslegendre"
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolation points ``alphas`` in [0, 1] and their weights.

    Parameters
    ----------
    n_steps
        Number of points on the path (at least 1; at least 2 for Riemann rules).
    method
        ``gausslegendre`` (captum's default: exact for polynomials of degree
        ``2 n_steps - 1``) or one of the Riemann rules.

    Returns
    -------
    tuple of numpy.ndarray
        ``(alphas, weights)``, each float64 of shape (n_steps,); the weights sum to 1.
    """
    if method == "gausslegendre":
        if n_steps < 1:
            raise ValueError(f"n_steps must be at least 1, got {n_steps}")
        nodes, weights = np.polynomial.legendre.leggauss(n_steps)
        return 0.5 * (nodes + 1.0), 0.5 * weights
    if n_steps < 2:
        raise ValueError(f"a Riemann rule needs at least 2 steps, got {n_steps}")
    if method == "riemann_trapezoid":
        weights = np.full(n_steps, 1.0 / (n_steps - 1))
        weights[0] /= 2
        weights[-1] /= 2
        return np.linspace(0.0, 1.0, n_steps), weights
    weights = np.full(n_steps, 1.0 / n_steps)
    if method == "riemann_left":
        return np.linspace(0.0, 1.0 - 1.0 / n_steps, n_steps), weights
    if method == "riemann_right":
        return np.linspace(1.0 / n_steps, 1.0, n_steps), weights
    if method == "riemann_middle":
        return np.linspace(0.5 / n_steps, 1.0 - 0.5 / n_steps, n_steps), weights
    raise ValueError(
        f"unknown quadrature method {method!r}; expected one of {', '.join(QUADRATURE_METHODS)}"
    )
