# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""heat-engine plugin: serialise yaql expression parsing.

heat 27 shares one yaql parser (a ply LALR parser, not thread-safe)
between all engine threads; concurrent ``yaql:`` functions then fail at
random with "Bad expression Parse error: unexpected end of statement".
Loaded from ``plugin_dirs``, this module wraps the parse step of the
``yaql`` template function in a process-wide lock. Evaluation is left
unlocked. It provides no resource types.
"""

import functools
import threading

from heat.engine.hot import functions as hot_functions
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

_LOCK = threading.RLock()


def _install():
    cls = hot_functions.Yaql
    if getattr(cls, '_magnum_lite_locked', False):
        return
    unlocked = cls._parse

    @functools.wraps(unlocked)
    def _parse(self, expression):
        with _LOCK:
            return unlocked(self, expression)

    cls._parse = _parse
    cls._magnum_lite_locked = True
    LOG.info('magnum-lite: yaql parsing serialised by a lock')


_install()


def resource_mapping():
    return {}
