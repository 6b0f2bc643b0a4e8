"""Process start-up shared by every command."""

from oslo_log import log

from magnum_lite import version
from magnum_lite.conf import CONF


def prepare(argv, config_files=None):
    """Parse configuration and set up logging."""
    log.register_options(CONF)
    log.set_defaults(default_log_levels=log.get_default_log_levels() + [
        'pecan=WARN', 'alembic=WARN'])
    CONF(argv, project='magnum-lite',
         version=version.version_info.version_string(),
         default_config_files=config_files)
    log.setup(CONF, 'magnum-lite')
