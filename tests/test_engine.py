"""bplab.engine.Value against central finite differences in float64."""

import math

import numpy as np
import pytest

from bplab import Value, zero_grad
from bplab.engine import maximum
from bplab.gradcheck import numerical_gradient, rel_error

H = 1e-6


def finite_differences(f, xs: list[float], h: float = H) -> list[float]:
    """Central differences (f(x + h) - f(x - h)) / 2h of a float function, one input at a time."""
    grads = []
    for i in range(len(xs)):
        plus, minus = list(xs), list(xs)
        plus[i] += h
        minus[i] -= h
        grads.append((f(*plus) - f(*minus)) / (2 * h))
    return grads


# The same formula on floats (for finite differences) and on Values (for backward).
def relu(v):
    return v.relu() if isinstance(v, Value) else max(v, 0.0)


def tanh(v):
    return v.tanh() if isinstance(v, Value) else math.tanh(v)


def sigmoid(v):
    return v.sigmoid() if isinstance(v, Value) else 1 / (1 + math.exp(-v))


def exp(v):
    return v.exp() if isinstance(v, Value) else math.exp(v)


def log(v):
    return v.log() if isinstance(v, Value) else math.log(v)


def check_against_finite_differences(f, xs, tol=1e-7):
    """Forward equals f on floats; backward equals central differences (relative error < tol)."""
    values = [Value(x) for x in xs]
    out = f(*values)
    out.backward()
    assert out.data == pytest.approx(f(*xs), rel=1e-12, abs=1e-300)
    for value, numeric in zip(values, finite_differences(f, xs)):
        assert rel_error(value.grad, numeric) < tol, (value.grad, numeric)
    return values, out


BINARY = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / b": lambda a, b: a / b,
    "a * b + a / b - b": lambda a, b: a * b + a / b - b,
}
UNARY = {
    "a + 2.5": lambda a: a + 2.5,
    "2.5 + a": lambda a: 2.5 + a,
    "a - 2.5": lambda a: a - 2.5,
    "2.5 - a": lambda a: 2.5 - a,
    "a * 2.5": lambda a: a * 2.5,
    "2.5 * a": lambda a: 2.5 * a,
    "a / 2.5": lambda a: a / 2.5,
    "2.5 / a": lambda a: 2.5 / a,
    "a ** 2": lambda a: a**2,
    "a ** 3": lambda a: a**3,
    "a ** -2": lambda a: a**-2,
    "a ** 0.5": lambda a: a**0.5,
    "a ** 2.5": lambda a: a**2.5,
    "2 ** a": lambda a: 2**a,
    "0.5 ** a": lambda a: 0.5**a,
    "-a": lambda a: -a,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "exp": exp,
    "log": log,
}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("xs", [(1.3, -0.7), (-2.1, 3.4)])
def test_binary_ops_match_finite_differences(name, xs):
    check_against_finite_differences(BINARY[name], list(xs))


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("x", [0.7, 1.9])
def test_unary_ops_match_finite_differences(name, x):
    check_against_finite_differences(UNARY[name], [x])


@pytest.mark.parametrize("name", ["2.5 - a", "a ** 3", "a ** -2", "-a", "tanh", "sigmoid", "exp"])
def test_unary_ops_at_negative_inputs(name):
    check_against_finite_differences(UNARY[name], [-1.3])


def test_ops_on_values_give_the_textbook_derivatives():
    a, b = Value(2.0), Value(-3.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)
    a, b = Value(2.0), Value(-3.0)
    (a / b).backward()
    assert a.grad == pytest.approx(-1 / 3) and b.grad == pytest.approx(-2 / 9)
    x = Value(1.5)
    (2**x).backward()
    assert x.grad == pytest.approx(2**1.5 * math.log(2), rel=1e-14)


@pytest.mark.parametrize("x, grad", [(1.3, 1.0), (-0.7, 0.0), (25.0, 1.0), (-1e-3, 0.0)])
def test_relu_away_from_zero(x, grad):
    (values, out) = check_against_finite_differences(relu, [x])
    assert out.data == max(x, 0.0)
    assert values[0].grad == grad


@pytest.mark.parametrize("x", [1e4, -1e4, 800.0, -800.0])
def test_sigmoid_is_stable_for_large_inputs(x):
    v = Value(x)
    s = v.sigmoid()
    s.backward()
    assert s.data == (1.0 if x > 0 else 0.0)
    assert not math.isnan(v.grad) and v.grad == 0.0


def test_sigmoid_keeps_precision_for_negative_inputs():
    s = Value(-30.0).sigmoid()
    assert s.data == pytest.approx(math.exp(-30) / (1 + math.exp(-30)), rel=1e-14)
    check_against_finite_differences(sigmoid, [-8.0])


def test_exp_overflow_is_a_clear_error():
    with pytest.raises(OverflowError, match="exp"):
        Value(710.0).exp()
    assert Value(709.0).exp().data == math.exp(709.0)


def micrograd_more_ops(a, b):
    """micrograd's test_more_ops; PyTorch gives g = 24.70408163265306."""
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def micrograd_sanity_check(x):
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    return h + q + q * x


def test_micrograd_mixed_expressions_forward_and_backward():
    (a, b), g = check_against_finite_differences(micrograd_more_ops, [-4.0, 2.0], tol=1e-6)
    # the values PyTorch computes for the same expression (micrograd's test suite)
    assert g.data == pytest.approx(24.70408163265306, rel=1e-12)
    assert a.grad == pytest.approx(138.83381924198252, rel=1e-12)
    assert b.grad == pytest.approx(645.5772594752186, rel=1e-12)
    (x,), y = check_against_finite_differences(micrograd_sanity_check, [-4.0], tol=1e-6)
    assert y.data == -20.0 and x.grad == 46.0  # by hand: y = 3x^3 + 14x^2 + 14x + 4 while z < 0


def test_neuron_expression():
    def neuron(x1, x2, w1, w2, b):
        return tanh(x1 * w1 + x2 * w2 + b)

    check_against_finite_differences(neuron, [2.0, 0.5, -3.0, 1.0, 6.8813735870195432])


def test_fan_out_sums_gradients():
    x = Value(3.0)
    y = x * x + x  # x is used three times
    y.backward()
    assert x.grad == 2 * 3.0 + 1
    x = Value(-1.5)
    (x + x).backward()
    assert x.grad == 2.0
    check_against_finite_differences(lambda a, b: tanh(a * b) * a + exp(b) / a, [0.8, -0.4])


def test_million_node_chain_without_recursion_error():
    x, c = Value(1.0), Value(1.0000001)
    y = x
    for _ in range(1_000_000):
        y = y * c
    y.backward()
    expected = 1.0000001**1_000_000
    assert rel_error(x.grad, expected) < 1e-10
    assert x.grad == pytest.approx(math.exp(0.1), rel=1e-7)
    assert rel_error(y.data, expected) < 1e-10
    assert rel_error(c.grad, 1_000_000 * 1.0000001**999_999) < 1e-8  # c fans out a million times


def build_example():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = d * f
    return (a, b, c, f), (e, d), L


def test_backward_twice_doubles_leaf_grads_and_resets_intermediates():
    leaves, intermediates, L = build_example()
    L.backward()
    once = [v.grad for v in leaves]
    middle = [v.grad for v in intermediates]
    L.backward()
    assert [v.grad for v in leaves] == [2 * g for g in once]  # exactly doubled
    assert [v.grad for v in intermediates] == middle  # not accumulated
    assert L.grad == 1.0
    assert once == [6.0, -4.0, -2.0, 4.0] and middle == [-2.0, -2.0]


def test_zero_grad_resets_the_graph_and_the_given_values():
    leaves, intermediates, L = build_example()
    L.backward()
    L.zero_grad()
    assert all(v.grad == 0.0 for v in (*leaves, *intermediates, L))
    L.backward()
    assert [v.grad for v in leaves] == [6.0, -4.0, -2.0, 4.0]
    zero_grad(leaves[:2])
    assert [v.grad for v in leaves] == [0.0, 0.0, -2.0, 4.0]


@pytest.mark.parametrize("bad", ["3", np.array([1.0, 2.0]), np.array(3.0), True, None, [1.0], 1 + 2j])
def test_non_scalar_data_raises_type_error_naming_data(bad):
    with pytest.raises(TypeError, match="data"):
        Value(bad)


def test_numbers_become_python_floats():
    for number in (3, 2.5, np.float64(1.5), np.float32(0.5), np.int64(4)):
        v = Value(number)
        assert type(v.data) is float and v.data == float(number) and v.grad == 0.0


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive_raises_value_error(x):
    with pytest.raises(ValueError, match="positive"):
        Value(x).log()


@pytest.mark.parametrize("base", [-2.0, 0.0])
def test_number_to_the_value_needs_a_positive_base(base):
    with pytest.raises(ValueError, match="base"):
        base ** Value(1.5)


def test_negative_value_to_a_fractional_power_raises_value_error():
    with pytest.raises(ValueError, match="fractional power"):
        Value(-8.0) ** (1 / 3)
    assert (Value(-2.0) ** 3).data == -8.0


def test_value_to_the_value_raises_type_error():
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="exponent"):
        Value(2.0) ** "3"


def test_repr_shows_label_data_and_grad():
    a = Value(2.0, label="a")
    b = Value(-3.0)
    assert repr(a) == "Value(a: data=2, grad=0)"
    (a * b).backward()
    assert repr(a) == "Value(a: data=2, grad=-3)"
    assert repr(b) == "Value(data=-3, grad=2)"


def test_topological_order_puts_inputs_first():
    leaves, intermediates, L = build_example()
    order = L.topological_order()
    assert len(order) == len(set(order)) == 7
    position = {id(v): i for i, v in enumerate(order)}
    for node in order:
        assert all(position[id(p)] < position[id(node)] for p in node._prev)
    assert order[-1] is L


def test_power_of_zero_has_the_documented_derivatives():
    root = Value(0.0) ** 0.5
    assert root.data == 0.0 and root._local == (math.inf,)  # sqrt's slope at 0 is infinite
    one = Value(0.0) ** 0
    one.backward()
    assert one.data == 1.0 and one._prev[0].grad == 0.0  # a**0 = 1 is constant in a
    x = Value(0.0)
    (x**2).backward()
    assert x.grad == 0.0
    with pytest.raises(ZeroDivisionError, match="0 \\*\\* -1 divides by zero"):
        Value(0.0) ** -1


def test_division_by_zero_is_a_clear_error():
    with pytest.raises(ZeroDivisionError, match="division by zero: 3 / 0"):
        Value(3.0) / 0
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1 / Value(0.0)


def test_exp_reaches_the_largest_float():
    x = Value(709.5)
    y = x.exp()
    y.backward()
    assert y.data == pytest.approx(math.exp(709.5)) and x.grad == pytest.approx(math.exp(709.5))
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(709.8).exp()


def test_micrograds_constructor_form_fails_at_once():
    a = Value(1.0)
    with pytest.raises(TypeError):
        Value(2.0, (a,), "+")  # micrograd's Value(data, _children, _op)
    for extra in [("w",), ((a, a),), (5,)]:  # a positional label; children without local derivatives; nonsense
        with pytest.raises(TypeError, match="label by keyword"):
            Value(2.0, *extra)
    assert Value(2.0, label="w").label == "w"


@pytest.mark.parametrize("a_data, b_data", [(1.5, 2.5), (3.0, -1.0)])
def test_maximum_routes_the_gradient(a_data, b_data):
    a, b = Value(a_data), Value(b_data)
    out = maximum(a, b) * 3.0
    out.backward()
    assert out.data == pytest.approx(3 * max(a_data, b_data))
    numeric = numerical_gradient(lambda: maximum(a, b) * 3.0, [a, b])
    assert rel_error([a.grad, b.grad], numeric) < 1e-7
    assert sorted([a.grad, b.grad]) == [0.0, 3.0]


def test_maximum_accepts_numbers():
    a = Value(-1.0)
    out = maximum(a, 0.0)  # = relu(a)
    out.backward()
    assert out.data == 0.0 and a.grad == 0.0


@pytest.mark.parametrize("a_data, b_data, a_grad, b_grad", [(2.5, 2.5, 3.0, 0.0), (-1.0, 0.5, 0.0, 3.0)])
def test_maximum_gives_a_tie_to_its_first_input(a_data, b_data, a_grad, b_grad):
    # notebook 02 says: on a tie the whole upstream gradient goes to a (a convention; max has no derivative there)
    a, b = Value(a_data), Value(b_data)
    (maximum(a, b) * 3.0).backward()
    assert (a.grad, b.grad) == (a_grad, b_grad)
