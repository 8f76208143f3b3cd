"""bplab: the helper package of a Jupyter course on backpropagation.

Shape convention, used everywhere in bplab and the notebooks: rows are examples.

- inputs ``X``: shape ``(N, D)`` (N examples, D features)
- weights ``W``: shape ``(D, M)``; bias ``b``: shape ``(M,)``; so ``X @ W + b`` has shape ``(N, M)``
- class scores: shape ``(N, C)``; integer labels ``y``: shape ``(N,)``
- the upstream gradient of a layer is ``dout`` (same shape as its output); ``dx``, ``dW``, ``db``
  are the gradients of the loss with respect to ``x``, ``W`` and ``b`` (same shapes as those).

Teaching core (what the lessons explain): engine (scalar autograd `Value`), graph (drawing), functions
(activations and losses), layers (forward/backward pairs and layers), optim (optimizers), gradcheck (numerical
gradients), data (offline datasets), rnn (backprop through time), forward_mode (dual numbers), fixed_point
(recurrent backprop to a fixed point), plots (figures). widgets: the sliders. course: the course's tooling
(self-checks, exercise generation, grading, doctor, CLI), never needed to read a lesson.
"""

from bplab.engine import Value, zero_grad

__version__ = "0.1.0"


def doctor() -> bool:
    """Print the environment check of notebook 00 and return True when everything is fine.

    Used in: notebooks/00-start-here.ipynb
    """
    from bplab.course.doctor import run  # course tooling, imported only when called

    return run()


__all__ = ["Value", "zero_grad", "doctor", "__version__"]
