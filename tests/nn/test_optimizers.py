"""SGD (with clipping) and Adam against hand-computed steps."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from art_genre.nn import SGD, Adam


def _params() -> list[np.ndarray]:
    return [np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -0.5])]


def _grads() -> list[np.ndarray]:
    return [np.array([[1.0, -2.0], [0.3, 0.6]]), np.array([2.0, -3.0])]


def test_sgd_step():
    params, grads = _params(), _grads()
    weight, bias = params
    SGD(learning_rate=0.1).update(params, grads)
    assert params[0] is weight and params[1] is bias  # in place
    np.testing.assert_allclose(weight, [[0.9, 2.2], [2.97, 3.94]])
    np.testing.assert_allclose(bias, [0.3, -0.2])
    np.testing.assert_array_equal(grads[0], _grads()[0])  # gradients untouched


def test_sgd_clips_weight_gradients_by_value_only():
    params, grads = _params(), _grads()
    SGD(learning_rate=0.1, clip_value=0.5).update(params, grads)
    # Weight gradients clipped to [[0.5, -0.5], [0.3, 0.5]]; biases not clipped.
    np.testing.assert_allclose(params[0], [[0.95, 2.05], [2.97, 3.95]])
    np.testing.assert_allclose(params[1], [0.3, -0.2])
    np.testing.assert_array_equal(grads[0], _grads()[0])

    params = _params()
    SGD(learning_rate=0.1, clip_value=0.5, clip_biases=True).update(params, _grads())
    np.testing.assert_allclose(params[1], [0.45, -0.45])


def test_adam_first_two_steps_by_hand():
    p = [np.array([1.0])]
    adam = Adam()
    adam.update(p, [np.array([0.5])])
    # m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25 -> step 0.001 * 0.5 / (0.5 + 1e-8)
    assert adam.t == 1
    assert p[0][0] == pytest.approx(1.0 - 0.001 * 0.5 / (0.5 + 1e-8), abs=1e-15)
    adam.update(p, [np.array([-1.0])])
    # m = -0.055, v = 0.00124975; m_hat = -0.055 / 0.19, v_hat = 0.00124975 / 0.001999
    m_hat, v_hat = -0.055 / 0.19, 0.00124975 / 0.001999
    expected = 0.999 - 0.001 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert adam.t == 2
    assert p[0][0] == pytest.approx(expected, rel=1e-7)
    assert p[0][0] == pytest.approx(0.9993661, abs=1e-7)


def test_adam_several_steps_match_reference_and_count_once_per_update():
    rng = np.random.default_rng(3)
    gradient_sequence = [rng.standard_normal((3, 2)) for _ in range(6)]
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-6
    params = [np.ones((3, 2)), np.zeros(2)]
    adam = Adam(learning_rate=lr, beta1=b1, beta2=b2, eps=eps)

    ref_w = np.ones((3, 2))
    m = np.zeros((3, 2))
    v = np.zeros((3, 2))
    for t, g in enumerate(gradient_sequence, start=1):
        adam.update(params, [g, g[0]])
        assert adam.t == t  # one step per update (the study advanced it twice)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        ref_w = ref_w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(params[0], ref_w, rtol=1e-12)
    # Bias corrections with a doubled counter would differ from the reference.
    doubled = ref_w.copy()
    t_double = 2 * len(gradient_sequence)
    doubled -= lr * (m / (1 - b1**t_double)) / (np.sqrt(v / (1 - b2**t_double)) + eps)
    assert not np.allclose(params[0], doubled)


def test_optimizers_work_in_float32_without_upcasting():
    params = [np.ones((2, 2), np.float32), np.zeros(2, np.float32)]
    grads = [np.full((2, 2), 0.1, np.float32), np.full(2, 0.1, np.float32)]
    SGD(0.1, clip_value=0.5).update(params, grads)
    Adam().update(params, grads)
    assert all(p.dtype == np.float32 for p in params)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (lambda: SGD(learning_rate=0.0), "learning_rate"),
        (lambda: SGD(learning_rate=-0.1), "learning_rate"),
        (lambda: SGD(learning_rate=float("nan")), "learning_rate"),
        (lambda: SGD(learning_rate="0.1"), "learning_rate"),
        (lambda: SGD(0.1, clip_value=0.0), "clip_value"),
        (lambda: Adam(learning_rate=0), "learning_rate"),
        (lambda: Adam(beta1=1.0), "beta1"),
        (lambda: Adam(beta2=-0.1), "beta2"),
        (lambda: Adam(eps=0.0), "eps"),
    ],
)
def test_bad_optimizer_arguments_raise(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_misaligned_gradients_raise():
    with pytest.raises(ValueError, match="grads"):
        SGD(0.1).update(_params(), _grads()[:1])
    with pytest.raises(ValueError, match="grads"):
        Adam().update(_params(), _grads()[:1])


@pytest.mark.parametrize("optimizer_class", [SGD, Adam])
@pytest.mark.parametrize(
    "other",
    [
        [np.zeros((3, 2)), np.zeros(2)],  # another shape
        [np.zeros((2, 2)), np.zeros(2), np.zeros((2, 1)), np.zeros(1)],  # more arrays
    ],
    ids=["shape", "count"],
)
def test_other_parameter_shapes_after_the_first_update_raise(optimizer_class, other):
    optimizer = optimizer_class()
    optimizer.update(_params(), _grads())
    got = ", ".join(str(p.shape) for p in other)
    with pytest.raises(ValueError, match=re.escape(f"expected [(2, 2), (2,)], got [{got}]")):
        optimizer.update(other, [np.ones_like(p) for p in other])
    if optimizer_class is Adam:  # no silent reset of the moments or the step count
        assert optimizer.t == 1
        np.testing.assert_allclose(optimizer.m[1], [0.2, -0.3])


def _study_adam_two_batches(lr, beta1, beta2, eps, grads_per_batch):
    """The study's ``adam_update``/``backward`` (slides, "Adam Optimizer Method"), verbatim
    apart from names: one shared ``t`` advanced by each of the two calls per batch."""
    state = {"t": 0}
    weights, biases = {"W1": np.array([[1.0]])}, {"b1": np.array([1.0])}
    m_w = {k: np.zeros_like(v) for k, v in weights.items()}
    v_w = {k: np.zeros_like(v) for k, v in weights.items()}
    m_b = {k: np.zeros_like(v) for k, v in biases.items()}
    v_b = {k: np.zeros_like(v) for k, v in biases.items()}

    def adam_update(gradients, params, m_params, v_params):
        state["t"] += 1
        updated = {}
        for key in params:
            m_params[key] = beta1 * m_params[key] + (1 - beta1) * gradients[key]
            v_params[key] = beta2 * v_params[key] + (1 - beta2) * (gradients[key] ** 2)
            m_hat = m_params[key] / (1 - beta1 ** state["t"])
            v_hat = v_params[key] / (1 - beta2 ** state["t"])
            updated[key] = params[key] - lr * m_hat / (np.sqrt(v_hat) + eps)
        return updated, m_params, v_params

    for g_w, g_b in grads_per_batch:
        weights, m_w, v_w = adam_update({"W1": g_w}, weights, m_w, v_w)
        biases, m_b, v_b = adam_update({"b1": g_b}, biases, m_b, v_b)
    return weights["W1"], biases["b1"]


def test_adam_step_counter_single_and_double_two_steps_by_hand():
    """lr 0.1, beta1 0.5, beta2 0.75; gradient 1 then 3 for a 1x1 weight and a bias.

    Moments (the same in both modes): after step 1 m = 1/2, v = 1/4; after step 2
    m = 7/4, v = 39/16.  Bias corrections 1 - beta1**s = 1/2, 3/4, 7/8, 15/16 and
    1 - beta2**s = 1/4, 7/16, 37/64, 175/256 for s = 1, 2, 3, 4.
    """
    lr, b1, b2, eps = 0.1, 0.5, 0.75, 1e-12
    sequence = [(np.array([[1.0]]), np.array([1.0])), (np.array([[3.0]]), np.array([3.0]))]

    # single: s = 1 then 2 for both.  Step 1: m_hat = 1, v_hat = 1 -> -0.1.
    # Step 2: m_hat = (7/4) / (3/4) = 7/3, v_hat = (39/16) / (7/16) = 39/7.
    single_step2 = 0.1 * (7 / 3) / math.sqrt(39 / 7)
    # double, weights: s = 1 then 3; step 3: m_hat = (7/4)/(7/8) = 2, v_hat = 156/37.
    double_w = 1.0 - 0.1 - 0.1 * 2 / math.sqrt(156 / 37)
    # double, biases: s = 2 then 4.  Step "2": m_hat = (1/2)/(3/4) = 2/3,
    # v_hat = (1/4)/(7/16) = 4/7; step "4": m_hat = (7/4)/(15/16) = 28/15, v_hat = 624/175.
    double_b = 1.0 - 0.1 * (2 / 3) / math.sqrt(4 / 7) - 0.1 * (28 / 15) / math.sqrt(624 / 175)
    assert single_step2 == pytest.approx(0.0988538, abs=1e-7)
    assert double_w == pytest.approx(0.8025978, abs=1e-7)
    assert double_b == pytest.approx(0.8129545, abs=1e-7)

    results = {}
    for mode in ("single", "double"):
        params = [np.array([[1.0]]), np.array([1.0])]
        adam = Adam(learning_rate=lr, beta1=b1, beta2=b2, eps=eps, step_counter=mode)
        for g_w, g_b in sequence:
            adam.update(params, [g_w, g_b])
        assert adam.t == 2  # one update call per batch in both modes
        results[mode] = (params[0][0, 0], params[1][0])

    assert results["single"][0] == pytest.approx(0.9 - single_step2, abs=1e-12)
    assert results["single"][1] == pytest.approx(0.9 - single_step2, abs=1e-12)
    assert results["double"][0] == pytest.approx(double_w, abs=1e-12)
    assert results["double"][1] == pytest.approx(double_b, abs=1e-12)

    study_w, study_b = _study_adam_two_batches(lr, b1, b2, eps, sequence)
    assert results["double"] == pytest.approx((study_w[0, 0], study_b[0]), abs=1e-15)
    assert results["single"][0] != pytest.approx(study_w[0, 0], abs=1e-3)


def test_adam_rejects_an_unknown_step_counter():
    with pytest.raises(ValueError, match="step_counter"):
        Adam(step_counter="triple")
