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
Damaged bodies of the A1 quadruped, made by editing its URDF in memory.

The names are the ant's (``hebb_controller.sim.morphology``), so one config
key picks the same kind of damage on either robot. Front is +x and left is +y,
as for the ant; the A1's legs are ``FR`` (right front), ``FL`` (left front),
``RR`` (right back) and ``RL`` (left back). The ant's 1-DOF ``hip`` maps to the
A1's two hip motors (``hip`` abduction and ``upper`` flexion) and its
``ankle``, the joint above the lower leg, to the A1's knee (``lower``). Each
damage is a pure function of the name, so a damaged robot is the same robot
every time it is loaded:

- ``damaged_<leg>``: the lower leg (calf) is cut to a quarter of its length, as
  the paper cuts the ant's ankle capsule (0.4 -> 0.1): collision box, visual
  mesh, toe position, mass and inertia all scale with the length.
- ``lost_lower_leg_<leg>``: the calf and toe lose their geometry and nearly all
  their mass. Unlike the ant's, the knee motor stays powered, as on the A1,
  whose knee motor sits at the hip; it turns, moving nothing.
- ``weak_motor_<leg>_<joint>``: the joint's motors keep a quarter of their
  URDF effort limit (the env uses the URDF limit as the PD force).
- ``locked_joint_<leg>_<joint>``: the joint's motors are locked at the nominal
  standing pose (the ant's are held at mid-range; for the A1's knee that is the
  same angle, for its thigh mid-range would tip the body over): the URDF limits
  are set to that angle and the env holds the target there.
"""
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
import xml.etree.ElementTree as ET

from hebb_controller.errors import unknown_name

# morphology leg suffix -> A1 leg prefix; every kind of damage applies to the front legs,
# as for the ant
LEGS = {'left_front': 'FL', 'right_front': 'FR'}
# only shortened, as on the ant: which unseen legs a gait survives
HIND_LEGS = {'left_hind': 'RL', 'right_hind': 'RR'}
# the ant's joint role -> the A1 joints (name parts) that play it
JOINT_ROLES = {'hip': ('hip', 'upper'), 'ankle': ('lower',)}
SHORTENED_FRACTION = 0.25
WEAK_MOTOR_FRACTION = 0.25
# a lost calf keeps a sliver of mass: zero mass would make the link static
LOST_LINK_MASS = 0.005
LOST_LINK_INERTIA = 1e-6


@dataclass(frozen=True)
class Damage:
    """Which legs (A1 prefixes) and joints (A1 joint names) carry which damage."""

    shortened: tuple[str, ...] = ()
    lost_lower_leg: tuple[str, ...] = ()
    weak_motor: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()

    @property
    def is_whole(self) -> bool:
        """Whether the body is the unmodified URDF."""
        return not (self.shortened or self.lost_lower_leg or self.weak_motor or self.locked)


def _joints(leg: str, role: str) -> tuple[str, ...]:
    return tuple(f'{LEGS[leg]}_{part}_joint' for part in JOINT_ROLES[role])


def _registry() -> dict[str, Damage]:
    morphologies = {'whole': Damage()}
    for leg in ('right_front', 'left_front'):
        morphologies[f'damaged_{leg}'] = Damage(shortened=(LEGS[leg],))
    for leg, name in HIND_LEGS.items():
        morphologies[f'damaged_{leg}'] = Damage(shortened=(name,))
    for leg in LEGS:
        morphologies[f'lost_lower_leg_{leg}'] = Damage(lost_lower_leg=(LEGS[leg],))
    for leg in LEGS:
        for role in JOINT_ROLES:
            morphologies[f'weak_motor_{leg}_{role}'] = Damage(weak_motor=_joints(leg, role))
    for leg in LEGS:
        for role in JOINT_ROLES:
            morphologies[f'locked_joint_{leg}_{role}'] = Damage(locked=_joints(leg, role))
    return morphologies


MORPHOLOGIES: dict[str, Damage] = _registry()


def damage_for(name: str) -> Damage:
    """Look a morphology up by name; unknown names raise an InputError listing the known ones."""
    try:
        return MORPHOLOGIES[name]
    except KeyError:
        raise unknown_name('morphology', name, MORPHOLOGIES) from None


def _find(root: ET.Element, tag: str, name: str) -> ET.Element:
    element = root.find(f"./{tag}[@name='{name}']")
    if element is None:
        raise ValueError(f'URDF has no {tag} named {name!r}')
    return element


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split()]


def _fmt(values) -> str:
    return ' '.join(repr(float(v)) for v in values)


def _scale_inertial(link: ET.Element, length_fraction: float) -> None:
    # A slender rod along the link's z axis: mass ~ L, transverse inertia ~ m L^2.
    f = length_fraction
    inertial = link.find('inertial')
    origin = inertial.find('origin')
    xyz = _floats(origin.get('xyz'))
    origin.set('xyz', _fmt([xyz[0], xyz[1], xyz[2] * f]))
    mass = inertial.find('mass')
    mass.set('value', repr(float(mass.get('value')) * f))
    inertia = inertial.find('inertia')
    scale = {'ixx': f ** 3, 'iyy': f ** 3, 'izz': f, 'ixy': f, 'ixz': f ** 2, 'iyz': f ** 2}
    for key, s in scale.items():
        inertia.set(key, repr(float(inertia.get(key)) * s))


def _shorten_calf(root: ET.Element, leg: str, fraction: float) -> None:
    calf = _find(root, 'link', f'{leg}_lower')
    box = calf.find('collision/geometry/box')
    size = _floats(box.get('size'))
    box.set('size', _fmt([size[0] * fraction, size[1], size[2]]))
    origin = calf.find('collision/origin')
    xyz = _floats(origin.get('xyz'))
    origin.set('xyz', _fmt([xyz[0], xyz[1], xyz[2] * fraction]))
    mesh = calf.find('visual/geometry/mesh')
    scale = _floats(mesh.get('scale', '1 1 1'))
    mesh.set('scale', _fmt([scale[0], scale[1], scale[2] * fraction]))
    _scale_inertial(calf, fraction)
    toe_origin = _find(root, 'joint', f'{leg}_toe_fixed').find('origin')
    xyz = _floats(toe_origin.get('xyz'))
    toe_origin.set('xyz', _fmt([xyz[0], xyz[1], xyz[2] * fraction]))


def _remove_calf(root: ET.Element, leg: str) -> None:
    for link_name in (f'{leg}_lower', f'{leg}_toe'):
        link = _find(root, 'link', link_name)
        for child in link.findall('visual') + link.findall('collision'):
            link.remove(child)
        inertial = link.find('inertial')
        inertial.find('mass').set('value', repr(LOST_LINK_MASS))
        inertia = inertial.find('inertia')
        for key in ('ixx', 'iyy', 'izz'):
            inertia.set(key, repr(LOST_LINK_INERTIA))
        for key in ('ixy', 'ixz', 'iyz'):
            inertia.set(key, '0')


def _weaken_joint(root: ET.Element, joint: str, fraction: float) -> None:
    limit = _find(root, 'joint', joint).find('limit')
    limit.set('effort', repr(float(limit.get('effort')) * fraction))


def _lock_joint(root: ET.Element, joint: str, angle: float) -> None:
    limit = _find(root, 'joint', joint).find('limit')
    limit.set('lower', repr(angle))
    limit.set('upper', repr(angle))


def _primitive_visuals(root: ET.Element) -> None:
    # The vendor meshes (47,000 triangles, 28,750 in the trunk) cost TinyRenderer
    # about 9 ms a frame at any image size; the collision primitives cost nothing.
    for link in root.iter('link'):
        collisions = link.findall('collision')
        visuals = link.findall('visual')
        material = visuals[0].find('material') if visuals else None
        for visual in visuals:
            link.remove(visual)
        for collision in collisions:
            visual = ET.SubElement(link, 'visual')
            for child in collision:
                visual.append(copy.deepcopy(child))
            if material is not None:
                visual.append(copy.deepcopy(material))


def edit_urdf(source: Path, damage: Damage, lock_angles: Mapping[str, float],
              primitive_visuals: bool = False) -> str:
    """
    Return the URDF text of ``source`` with ``damage`` applied.

    Mesh paths become absolute so the text loads from any directory.
    ``lock_angles`` maps a joint name to where it stays when locked. ``primitive_visuals`` draws
    every link as its collision shapes, for a cheap software-rendered camera.
    """
    tree = ET.parse(source)
    root = tree.getroot()
    for mesh in root.iter('mesh'):
        mesh.set('filename', str((source.parent / mesh.get('filename')).resolve()))
    for leg in damage.shortened:
        _shorten_calf(root, leg, SHORTENED_FRACTION)
    for leg in damage.lost_lower_leg:
        _remove_calf(root, leg)
    for joint in damage.weak_motor:
        _weaken_joint(root, joint, WEAK_MOTOR_FRACTION)
    for joint in damage.locked:
        _lock_joint(root, joint, lock_angles[joint])
    if primitive_visuals:
        _primitive_visuals(root)
    return ET.tostring(root, encoding='unicode')
