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
The paper's Hebbian rule variants, reduced to one canonical form.

Every variant's update is ``dw = a*pre*post + b*pre + c*post + d`` once its
learning rate is folded into the coefficients, so one kernel serves them all.
Per-synapse coefficient order follows the reference code, so genomes can be
exchanged with it; note ``AD_lr`` keeps eta last (A, D, eta).
"""
from dataclasses import dataclass
from typing import Mapping

from hebb_controller.errors import unknown_name
import numpy as np


@dataclass(frozen=True)
class Rule:
    """A rule variant: its name and its per-synapse coefficient order."""

    name: str
    coefficients: tuple[str, ...]

    @property
    def n_coefficients(self) -> int:
        return len(self.coefficients)

    def effective(self, coeffs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Fold eta into the terms: the canonical (a, b, c, d), absent terms None."""
        eta = coeffs['eta'] if 'eta' in coeffs else None

        def scaled(term: str):
            if term not in coeffs:
                return None
            return coeffs[term] * eta if eta is not None else coeffs[term]

        d = scaled('D')
        if self.name == 'ABCD_lr_D_out':
            d = coeffs['D']
        elif self.name == 'ABCD_lr_D_in_and_out':
            d = coeffs['D_in'] * eta + coeffs['D_out']
        return {'a': scaled('A'), 'b': scaled('B'), 'c': scaled('C'), 'd': d}


RULES: dict[str, Rule] = {
    rule.name: rule for rule in (
        Rule('A', ('A',)),
        Rule('AD', ('A', 'D')),
        Rule('AD_lr', ('A', 'D', 'eta')),
        Rule('ABC', ('A', 'B', 'C')),
        Rule('ABC_lr', ('A', 'B', 'C', 'eta')),
        Rule('ABCD', ('A', 'B', 'C', 'D')),
        Rule('ABCD_lr', ('A', 'B', 'C', 'eta', 'D')),
        Rule('ABCD_lr_D_out', ('A', 'B', 'C', 'eta', 'D')),
        Rule('ABCD_lr_D_in_and_out', ('A', 'B', 'C', 'eta', 'D_in', 'D_out')),
    )
}

RULE_NAMES: tuple[str, ...] = tuple(RULES)


def get_rule(name: str) -> Rule:
    """Look a rule up by name, listing the known ones when it is unknown."""
    try:
        return RULES[name]
    except KeyError:
        raise unknown_name('plasticity rule', name, RULE_NAMES) from None
