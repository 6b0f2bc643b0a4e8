"""The version of magnum-lite, from pbr."""

import pbr.version

version_info = pbr.version.VersionInfo('magnum-lite')
