# Copyright 2026 The hebb_controller Authors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Fused CPU kernels for the plastic network (numba).

The Hebbian update of step t and the forward pass of step t+1 touch the same
weights, so one sweep does both: each weight is read, updated and used for the
next output while it is in a register. Eager tensor code makes a P x in x out
temporary per term and is several times slower (see ``hebb bench plasticity``).
Inner loops are branch-free on purpose: a loop-invariant ``if`` inside them
stopped LLVM from vectorising and cost a factor of five, so weight clipping and
normalisation (off by default) run as separate passes.

Coefficients arrive in the canonical form of :mod:`rules`, ``dw = (a*pre + c)*post
+ b*pre + d``, laid out ``[P, in, 4, out]``: the four rows a synapse row needs are
adjacent, one memory stream instead of four for the prefetcher once the
population no longer fits in cache.
"""

import numba
import numpy as np

# 'contract' allows fused multiply-add; no NaN/inf assumptions, so NaN still shows.
_JIT = {'nogil': True, 'cache': True, 'error_model': 'numpy', 'fastmath': {'contract'}}


@numba.njit(**_JIT)
def _fused_layer(w, coef, pre, post, x, y):
    """Apply the pending update to one layer and compute ``y = x @ w`` with the new weights."""
    n_pop, n_in, n_out = w.shape
    for p in range(n_pop):
        yp = y[p]
        postp = post[p]
        yp[:] = 0.0
        for i in range(n_in):
            xi = x[p, i]
            pi = pre[p, i]
            wr = w[p, i]
            a = coef[p, i, 0]
            b = coef[p, i, 1]
            c = coef[p, i, 2]
            d = coef[p, i, 3]
            for j in range(n_out):
                wij = wr[j] + (a[j] * pi + c[j]) * postp[j] + b[j] * pi + d[j]
                wr[j] = wij
                yp[j] += xi * wij


@numba.njit(**_JIT)
def _update_layer(w, coef, pre, post):
    """Apply the pending update to one layer."""
    n_pop, n_in, n_out = w.shape
    for p in range(n_pop):
        postp = post[p]
        for i in range(n_in):
            pi = pre[p, i]
            wr = w[p, i]
            a = coef[p, i, 0]
            b = coef[p, i, 1]
            c = coef[p, i, 2]
            d = coef[p, i, 3]
            for j in range(n_out):
                # the fused step's expression, term for term: flushing then running
                # forward gives its weights bit for bit
                wr[j] = wr[j] + (a[j] * pi + c[j]) * postp[j] + b[j] * pi + d[j]


@numba.njit(**_JIT)
def _forward_layer(w, x, y):
    """``y = x @ w`` per individual."""
    n_pop, n_in, n_out = w.shape
    for p in range(n_pop):
        yp = y[p]
        yp[:] = 0.0
        for i in range(n_in):
            xi = x[p, i]
            wr = w[p, i]
            for j in range(n_out):
                yp[j] += xi * wr[j]


@numba.njit(**_JIT)
def _clip_and_normalise(w, clip, norm):
    """Clamp to [-clip, clip] (clip > 0) then divide by the largest |w| per individual (norm)."""
    n_pop = w.shape[0]
    for p in range(n_pop):
        wp = w[p].reshape(-1)
        if clip > 0.0:
            for k in range(wp.size):
                wp[k] = min(max(wp[k], -clip), clip)
        if norm:
            peak = np.float32(0.0)
            for k in range(wp.size):
                peak = max(peak, abs(wp[k]))
            if peak > 0.0:
                inv = np.float32(1.0) / peak
                for k in range(wp.size):
                    wp[k] *= inv


@numba.njit(**_JIT)
def _activate(out, use_tanh):
    if use_tanh:
        for p in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[p, j] = np.tanh(out[p, j])


@numba.njit(**_JIT)
def network_step(weights, coefs, acts_old, acts_new, clip, norm, out_tanh):
    """
    Apply the pending update (from ``acts_old``) and run the forward pass into ``acts_new``.

    ``acts_new[0]`` holds the new input on entry; every later entry is written.
    Hidden layers use tanh; the last layer uses it when ``out_tanh``.
    """
    n_layers = len(weights)
    plain = clip <= 0.0 and not norm
    for layer in range(n_layers):
        w = weights[layer]
        x = acts_new[layer]
        y = acts_new[layer + 1]
        if plain:
            _fused_layer(w, coefs[layer], acts_old[layer], acts_old[layer + 1], x, y)
        else:
            _update_layer(w, coefs[layer], acts_old[layer], acts_old[layer + 1])
            _clip_and_normalise(w, clip, norm)
            _forward_layer(w, x, y)
        _activate(y, layer < n_layers - 1 or out_tanh)


@numba.njit(**_JIT)
def network_update(weights, coefs, acts, clip, norm):
    """Apply a pending update without a forward pass (before weights are read or edited)."""
    for layer in range(len(weights)):
        _update_layer(weights[layer], coefs[layer], acts[layer], acts[layer + 1])
        _clip_and_normalise(weights[layer], clip, norm)


@numba.njit(**_JIT)
def network_forward(weights, acts, out_tanh):
    """Forward pass only (static weights): ``acts[0]`` in, every later entry written."""
    n_layers = len(weights)
    for layer in range(n_layers):
        _forward_layer(weights[layer], acts[layer], acts[layer + 1])
        _activate(acts[layer + 1], layer < n_layers - 1 or out_tanh)
