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
Body variants ("morphologies") of the simulated quadrupeds, by name.

The registry is robot-agnostic: a variant names a leg (front/hind, left/right
as seen walking along +x), a joint role (``hip``, or ``ankle``: the joint
that swings the lower leg) and a kind of damage, so a 12-joint robot can
offer the same names where they make sense. Geometric damage to the ant is
applied by editing ``pybullet_data/mjcf/ant.xml`` in memory; motor damage
(weak, locked) is applied by the env's code.

The ant's MJCF names do not follow +x: its leg at (+x, -y) is called
``right_back_leg``. This module maps legs by position, as the paper does:

============  ===========  ====================  ======================  ==========
leg           position     MJCF leg body         lower-leg geom (body)   joints
============  ===========  ====================  ======================  ==========
left_front    (+x, +y)     ``front_left_leg``    ``left_ankle_geom``     hip_1,
                                                 (``front_left_foot``)   ankle_1
right_front   (+x, -y)     ``right_back_leg``    ``fourth_ankle_geom``   hip_4,
                                                 (``right_back_foot``)   ankle_4
left_hind     (-x, +y)     ``front_right_leg``   ``right_ankle_geom``    hip_2,
                                                 (``front_right_foot``)  ankle_2
right_hind    (-x, -y)     ``left_back_leg``     ``third_ankle_geom``    hip_3,
                                                 (``left_back_foot``)    ankle_3
============  ===========  ====================  ======================  ==========
"""
from dataclasses import dataclass
import functools
import os
from typing import Literal, Optional
import xml.etree.ElementTree as ElementTree

from hebb_controller.errors import unknown_name
import pybullet_data

Leg = Literal['left_front', 'right_front', 'left_hind', 'right_hind']
JointRole = Literal['hip', 'ankle']
DamageKind = Literal['shorten_lower_leg', 'lose_lower_leg', 'weak_motor', 'locked_joint']

# The paper's damage: the lower-leg capsule at a quarter of its length (0.4 -> 0.1).
SHORTEN_FACTOR = 0.25
# A lost lower leg keeps a stub of 2% of its length: a ball of the capsule's
# radius at the knee. Removing the geom would leave a massless link on a
# powered joint, which PyBullet cannot integrate.
LOST_FACTOR = 0.02
# Weak motors keep a quarter of their torque.
WEAK_FACTOR = 0.25


@dataclass(frozen=True)
class Morphology:
    """One body variant: which leg and joint are damaged, how, and by how much."""

    name: str
    description: str
    kind: Optional[DamageKind] = None
    leg: Optional[Leg] = None
    joint: Optional[JointRole] = None
    factor: float = 1.0


@dataclass(frozen=True)
class AntLeg:
    """Where one leg of ``ant.xml`` lives in the MJCF."""

    lower_leg_geom: str
    hip: str
    ankle: str


ANT_LEGS: dict[str, AntLeg] = {
    'left_front': AntLeg('left_ankle_geom', 'hip_1', 'ankle_1'),
    'right_front': AntLeg('fourth_ankle_geom', 'hip_4', 'ankle_4'),
    'left_hind': AntLeg('right_ankle_geom', 'hip_2', 'ankle_2'),
    'right_hind': AntLeg('third_ankle_geom', 'hip_3', 'ankle_3'),
}


def _side(leg: str) -> str:
    return leg.replace('_', ' ')


def _registry() -> dict[str, Morphology]:
    variants = [
        Morphology('whole', 'intact body'),
        Morphology('damaged_right_front',
                   'right front lower leg at 1/4 length (the paper: seen in training)',
                   'shorten_lower_leg', 'right_front', 'ankle', SHORTEN_FACTOR),
        Morphology('damaged_left_front',
                   'left front lower leg at 1/4 length (the paper: held out)',
                   'shorten_lower_leg', 'left_front', 'ankle', SHORTEN_FACTOR),
    ]
    for leg in ('left_hind', 'right_hind'):   # ours: which unseen legs the gait survives
        variants.append(Morphology(
            f'damaged_{leg}', f'{_side(leg)} lower leg at 1/4 length (ours: never trained on)',
            'shorten_lower_leg', leg, 'ankle', SHORTEN_FACTOR))
    legs = ('left_front', 'right_front')
    for leg in legs:
        variants.append(Morphology(
            f'lost_lower_leg_{leg}', f'{_side(leg)} lower leg lost: a stub at the knee, '
            'ankle unpowered', 'lose_lower_leg', leg, 'ankle', LOST_FACTOR))
    for leg in legs:
        for joint in ('hip', 'ankle'):
            variants.append(Morphology(
                f'weak_motor_{leg}_{joint}', f'{_side(leg)} {joint} motor at 1/4 torque',
                'weak_motor', leg, joint, WEAK_FACTOR))
    for leg in legs:
        for joint in ('hip', 'ankle'):
            variants.append(Morphology(
                f'locked_joint_{leg}_{joint}', f'{_side(leg)} {joint} held at mid-range',
                'locked_joint', leg, joint))
    return {m.name: m for m in variants}


MORPHOLOGIES: dict[str, Morphology] = _registry()


def get_morphology(name: str) -> Morphology:
    """Look a morphology up by name; unknown names list the known ones."""
    try:
        return MORPHOLOGIES[name]
    except KeyError:
        raise unknown_name('morphology', name, MORPHOLOGIES) from None


@functools.lru_cache(maxsize=1)
def _ant_xml_text() -> str:
    with open(os.path.join(pybullet_data.getDataPath(), 'mjcf', 'ant.xml')) as f:
        return f.read()


def _scale_capsule(geom: ElementTree.Element, factor: float) -> None:
    """Scale a ``fromto`` capsule's length about its start point (the knee)."""
    start_end = [float(v) for v in geom.get('fromto').split()]
    start, end = start_end[:3], start_end[3:]
    end = [s + factor * (e - s) for s, e in zip(start, end)]
    geom.set('fromto', ' '.join(f'{v:.6g}' for v in start + end))


def ant_mjcf(morphology: Morphology) -> str:
    """
    Return the text of ``ant.xml`` with the morphology's geometric damage applied.

    The same morphology always gives the same text, so loading it is reproducible.
    """
    if morphology.kind not in ('shorten_lower_leg', 'lose_lower_leg'):
        return _ant_xml_text()
    root = ElementTree.fromstring(_ant_xml_text())
    name = ANT_LEGS[morphology.leg].lower_leg_geom
    geom = root.find(f".//geom[@name='{name}']")
    _scale_capsule(geom, morphology.factor)
    return ElementTree.tostring(root, encoding='unicode')


def ant_power_scales(morphology: Morphology) -> dict[str, float]:
    """Torque scale of each joint that differs from 1 (weak motors, lost lower legs)."""
    if morphology.kind == 'weak_motor':
        leg = ANT_LEGS[morphology.leg]
        return {getattr(leg, morphology.joint): morphology.factor}
    if morphology.kind == 'lose_lower_leg':
        return {ANT_LEGS[morphology.leg].ankle: 0.0}
    return {}


def ant_locked_joints(morphology: Morphology) -> tuple[str, ...]:
    """Joints that are held still instead of driven."""
    if morphology.kind == 'locked_joint':
        return (getattr(ANT_LEGS[morphology.leg], morphology.joint),)
    return ()
