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

"""The morphology registry and the MJCF edits behind the ant's damage."""

import xml.etree.ElementTree as ElementTree

from hebb_controller.sim.morphology import (ANT_LEGS, ant_locked_joints, ant_mjcf,
                                            ant_power_scales, get_morphology, MORPHOLOGIES)
import pytest


def fromto(xml_text: str, geom: str) -> list[float]:
    node = ElementTree.fromstring(xml_text).find(f".//geom[@name='{geom}']")
    return [float(v) for v in node.get('fromto').split()]


def test_registry_has_the_papers_variants_and_describes_each():
    for name in ('whole', 'damaged_right_front', 'damaged_left_front',
                 'lost_lower_leg_left_front', 'lost_lower_leg_right_front'):
        assert name in MORPHOLOGIES
    assert any(n.startswith('weak_motor_') for n in MORPHOLOGIES)
    assert any(n.startswith('locked_joint_') for n in MORPHOLOGIES)
    for name, m in MORPHOLOGIES.items():
        assert m.name == name and m.description and '\n' not in m.description
    with pytest.raises(ValueError, match='known: whole, damaged_right_front'):
        get_morphology('damaged_middle_leg')


def test_front_legs_are_the_ones_at_positive_x():
    # In ant.xml the leg at (+x, -y) is named right_back_leg; front means +x here.
    root = ElementTree.fromstring(ant_mjcf(MORPHOLOGIES['whole']))
    for leg, sign_y in (('left_front', 1.0), ('right_front', -1.0)):
        end = fromto(ElementTree.tostring(root, encoding='unicode'),
                     ANT_LEGS[leg].lower_leg_geom)[3:]
        assert end[0] > 0 and end[1] * sign_y > 0


@pytest.mark.parametrize('name,leg', [('damaged_left_front', 'left_front'),
                                      ('damaged_right_front', 'right_front'),
                                      ('damaged_left_hind', 'left_hind'),
                                      ('damaged_right_hind', 'right_hind')])
def test_damage_shortens_one_lower_leg_to_a_quarter(name, leg):
    whole, damaged = ant_mjcf(MORPHOLOGIES['whole']), ant_mjcf(MORPHOLOGIES[name])
    for other, parts in ANT_LEGS.items():
        before, after = fromto(whole, parts.lower_leg_geom), fromto(damaged, parts.lower_leg_geom)
        if other == leg:
            assert [abs(v) for v in before[3:5]] == [0.4, 0.4]
            assert after[3:] == pytest.approx([0.25 * v for v in before[3:]])
        else:
            assert after == before
    assert ant_mjcf(MORPHOLOGIES[name]) == damaged   # reproducible


def test_motor_damage_is_applied_by_code_not_by_the_model():
    weak = get_morphology('weak_motor_right_front_ankle')
    assert ant_power_scales(weak) == {'ankle_4': 0.25}
    assert ant_mjcf(weak) == ant_mjcf(MORPHOLOGIES['whole'])
    assert ant_locked_joints(get_morphology('locked_joint_left_front_hip')) == ('hip_1',)
    assert ant_power_scales(get_morphology('lost_lower_leg_left_front')) == {'ankle_1': 0.0}
    assert ant_power_scales(MORPHOLOGIES['whole']) == {}
    assert ant_locked_joints(MORPHOLOGIES['whole']) == ()
