"""What set 15's model answer says about strong feedback, checked (issue 21, item 5).

The answer to question 5 says: well above ``||W||_2 = 1`` a fixed point still exists (tanh maps the cube
[-1, 1]^H into itself: Brouwer), but it may be unstable (spectral radius of J = diag(1 - h*^2) W^T above 1),
so the forward relaxation may never settle and the adjoint relaxation diverges; a Newton-type root solve
finds h*, and one linear solve, delta (I - J) = G, gives the gradient. The old answer said "there is no fixed
point" there. Checked on notebook 15's explorer problem (||W||_2 = 2.5, input size 1) and on set 15's own
problem with W rescaled to ||W||_2 = 3.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from bplab.fixed_point import relax

ROOT = Path(__file__).resolve().parents[1]
SET_15 = ROOT / "solutions" / "15-fixed-point-recurrent-backprop.ipynb"


def explorer_problem(norm: float = 2.5):
    """Notebook 15's explorer problem (its section 6 rebuilds it the same way): x, W, U, b, G."""
    r = np.random.default_rng(0)
    W_unit = r.standard_normal((32, 32))
    W_unit /= np.linalg.norm(W_unit, 2)
    U, b = r.standard_normal((2, 32)), 0.1 * r.standard_normal(32)
    x, G = r.standard_normal((20, 2)), r.standard_normal((20, 32))
    return x, norm * W_unit, U, b, G


def set_problem(norm: float = 3.0):
    """Set 15's set-up cell, run as written, with W rescaled to `norm`: x, W, U, b, G."""
    nb = nbformat.read(SET_15, as_version=4)
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    ns: dict = {}
    exec(setup.source, ns)
    W = ns["W"] * norm / np.linalg.norm(ns["W"], 2)
    return ns["x"], W, ns["U"], ns["b"], ns["G"]


PROBLEMS = {"notebook 15's explorer at 2.5": explorer_problem, "set 15's set-up at 3": set_problem}


def newton_row(c, W, h, tol=1e-14, max_iter=60):
    """Damped Newton on F(h) = h - tanh(h W + c) for one example (a row); (h, |F(h)|)."""
    eye = np.eye(len(h))
    for _ in range(max_iter):
        F = h - np.tanh(h @ W + c)
        size = np.linalg.norm(F)
        if size < tol:
            break
        slope = 1 - np.tanh(h @ W + c) ** 2
        step = np.linalg.solve((eye - W * slope).T, F)  # dF = dh (I - W diag(slope)), rows as in the course
        t = 1.0
        while t > 1e-10:  # halve the step until |F| goes down
            trial = h - t * step
            if np.linalg.norm(trial - np.tanh(trial @ W + c)) < (1 - 1e-4 * t) * size:
                break
            t /= 2
        h = trial
    return h, float(np.linalg.norm(h - np.tanh(h @ W + c)))


def newton_fixed_point(x, W, U, b, start=None, tries=50):
    """A root of h = tanh(h W + x U + b) for every example: Newton from `start` (or 0), then from random states."""
    c = x @ U + b
    r = np.random.default_rng(0)
    h = np.zeros_like(c)
    for n in range(len(c)):
        starts = [np.zeros(c.shape[1]) if start is None else start[n]]
        starts += [r.uniform(-1, 1, c.shape[1]) for _ in range(tries)]
        for h0 in starts:
            h[n], size = newton_row(c[n], W, h0)
            if size < 1e-12:
                break
    return h


def spectral_radii(h, W):
    """rho(J) of every example, J = diag(1 - h*^2) W^T."""
    return np.array([np.abs(np.linalg.eigvals(np.diag(1 - row**2) @ W.T)).max() for row in h])


def implicit_gradients(G, x, h, W, U):
    """Almeida-Pineda with one linear solve per example instead of the adjoint relaxation."""
    slope = 1 - h**2
    delta = np.stack([np.linalg.solve((np.eye(len(g)) - np.diag(s) @ W.T).T, g) for g, s in zip(G, slope)])
    da = delta * slope
    return {"x": da @ U.T, "W": h.T @ da, "U": x.T @ da, "b": da.sum(axis=0)}


@pytest.mark.parametrize("name", PROBLEMS)
def test_well_above_one_the_fixed_points_exist_but_are_unstable(name):
    x, W, U, b, G = PROBLEMS[name]()
    _, cache = relax(x, W, U, b, max_iter=1000)
    assert not cache["converged"] and cache["residuals"][-100:].min() > 1e-3  # plain relaxation keeps moving

    h = newton_fixed_point(x, W, U, b)
    residual = np.abs(h - np.tanh(h @ W + x @ U + b)).max()
    assert residual < 1e-10  # a fixed point for every example: it exists (Brouwer), a root solve finds it
    radii = spectral_radii(h, W)
    assert radii.max() > 1  # ... and it is unstable for some examples: what plain relaxation cannot reach

    delta = G.copy()  # the adjoint relaxation at the true fixed point diverges for those examples
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(1000):
            delta = G + (delta * (1 - h**2)) @ W.T
        sizes = np.linalg.norm(delta, axis=1)
    unstable = radii > 1.01  # (at rho = 1.002, 1000 steps grow it only about 7 times)
    assert unstable.any() and np.all(~np.isfinite(sizes[unstable]) | (sizes[unstable] > 1e6))
    assert np.all(sizes[radii < 0.99] < 1e3)  # where rho(J) < 1 it settles


@pytest.mark.parametrize("name", PROBLEMS)
def test_the_implicit_gradient_at_an_unstable_fixed_point_matches_central_differences(name):
    x, W, U, b, G = PROBLEMS[name]()
    h = newton_fixed_point(x, W, U, b)
    assert spectral_radii(h, W).max() > 1
    grads = implicit_gradients(G, x, h, W, U)
    arrays = {"x": x, "W": W, "U": U, "b": b}
    r = np.random.default_rng(1)
    eps = 1e-6  # near rho(J) = 1 the third derivative is large: the error of h = 1e-5 is about 2e-7 (it falls as h^2)
    for key, array in arrays.items():
        for _ in range(2):  # directional derivatives along random directions
            direction = r.standard_normal(array.shape)

            def loss(sign, key=key, direction=direction):
                moved = {**arrays, key: arrays[key] + sign * eps * direction}
                h_moved = newton_fixed_point(moved["x"], moved["W"], moved["U"], moved["b"], start=h, tries=0)
                drive = moved["x"] @ moved["U"] + moved["b"]
                assert np.abs(h_moved - np.tanh(h_moved @ moved["W"] + drive)).max() < 1e-12
                assert np.abs(h_moved - h).max() < 1e-3  # the same branch of fixed points
                return float(np.sum(h_moved * G))

            numeric = (loss(1) - loss(-1)) / (2 * eps)
            exact = float(np.sum(grads[key] * direction))
            assert abs(numeric - exact) <= 1e-7 * max(1.0, abs(exact)), (key, numeric, exact)


def test_set_15_no_longer_says_there_is_no_fixed_point():
    nb = nbformat.read(SET_15, as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert not re.search(r"\bno fixed point\b", text)
    answer = next(c.source for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "q5_why_only_the_fixed_point")
    assert "Brouwer" in answer and "unstable" in answer and "Newton" in answer and "linear solve" in answer
