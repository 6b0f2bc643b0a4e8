"""WSGI entry point for uWSGI or any WSGI server.

Configuration files come from ``MAGNUM_LITE_CONFIG_FILE`` (comma
separated) or oslo.config's default locations.
"""

import os

from magnum_lite.api import app
from magnum_lite.common import service


def initialize_application():
    """Load configuration and logging, then build the application."""
    files = os.environ.get('MAGNUM_LITE_CONFIG_FILE')
    service.prepare([], config_files=files.split(',') if files else None)
    return app.setup_app()
