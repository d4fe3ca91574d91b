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
Record topics to an MCAP file that ``ros2 bag``, Foxglove and ``mcap`` open.

rosbag2 is not installable here, so this writes what it writes: each message
as the CDR bytes that arrived (a raw subscription: nothing decoded or
re-encoded), under a ``ros2msg`` schema made of the message's ``.msg`` text
and, as rosbag2 lays it out, every nested type's text after a separator line.
"""

import importlib
from pathlib import Path
import re
from typing import Any, Sequence, Union

from mcap.writer import CompressionType, Writer
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

SEPARATOR = '=' * 80
PRIMITIVES = {'bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16',
              'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring'}


def _msg_file(package: str, name: str) -> Path:
    """Find ``share/<package>/msg/<name>.msg`` beside the package's Python module."""
    module = importlib.import_module(package)
    prefix = Path(module.__file__).resolve().parents[4]   # <prefix>/lib/pythonX/site-packages
    path = prefix / 'share' / package / 'msg' / f'{name}.msg'
    if not path.is_file():
        raise FileNotFoundError(f'no message definition {path}')
    return path


def _field_types(text: str, package: str) -> list[str]:
    types = []
    for line in text.splitlines():
        line = line.split('#', 1)[0].strip()
        if not line or '=' in line.split()[0] or len(line.split()) < 2:
            continue
        base = re.sub(r'\[.*\]$', '', line.split()[0])
        base = re.sub(r'<=\d+$', '', base)
        if base in PRIMITIVES or base.startswith(('string<', 'wstring<')):
            continue
        if base == 'Header':
            base = 'std_msgs/Header'
        types.append(base if '/' in base else f'{package}/{base}')
    return types


def message_definition(msg_type: type) -> str:
    """Return the full ``ros2msg`` schema text of a message class, nested types included."""
    package = msg_type.__module__.split('.')[0]
    root = f'{package}/{msg_type.__name__}'
    text = _msg_file(package, msg_type.__name__).read_text()
    parts, seen, queue = [text.strip()], {root}, _field_types(text, package)
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        pkg, _, short = name.replace('/msg/', '/').partition('/')
        nested = _msg_file(pkg, short).read_text()
        parts.append(f'{SEPARATOR}\nMSG: {pkg}/{short}\n{nested.strip()}')
        queue.extend(_field_types(nested, pkg))
    return '\n'.join(parts) + '\n'


class Recorder:
    """Subscribe to ``topics`` on ``node`` and write every message to an MCAP file."""

    def __init__(self, node: Node, path: Union[str, Path],
                 topics: Sequence[tuple[str, type]]) -> None:
        self.path = Path(path)
        # every schema before the file: a type without its definition leaves no file behind
        schemas = [(topic, msg_type, message_definition(msg_type)) for topic, msg_type in topics]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._stream = self.path.open('xb')   # never over a recording already there
        except FileExistsError:
            raise ValueError(f'{self.path} exists: record to a new file, or remove it first'
                             ) from None
        self._writer = Writer(self._stream, compression=CompressionType.ZSTD)
        self._writer.start(profile='ros2', library='hebb_controller')
        self._finished = False
        self.node = node
        self.counts: dict[str, int] = {}
        # best effort matches every publisher, reliable or not
        qos = QoSProfile(depth=100, reliability=ReliabilityPolicy.BEST_EFFORT)
        for topic, msg_type, definition in schemas:
            topic = node.resolve_topic_name(topic)     # recorded under its full name
            package = msg_type.__module__.split('.')[0]
            schema = self._writer.register_schema(
                name=f'{package}/msg/{msg_type.__name__}', encoding='ros2msg',
                data=definition.encode())
            channel = self._writer.register_channel(topic=topic, message_encoding='cdr',
                                                    schema_id=schema)
            self.counts[topic] = 0
            node.create_subscription(msg_type, topic, self._writer_for(channel, topic), qos,
                                     raw=True)

    def _writer_for(self, channel: int, topic: str) -> Any:
        def write(data: bytes) -> None:
            now = self.node.get_clock().now().nanoseconds
            self._writer.add_message(channel, log_time=now, data=data, publish_time=now,
                                     sequence=self.counts[topic])
            self.counts[topic] += 1
        return write

    def close(self) -> None:
        """Finish the file (summary and index) once, even if the first try was interrupted."""
        if self._finished:
            return
        self._finished = True
        try:
            self._writer.finish()
        finally:
            self._stream.close()
