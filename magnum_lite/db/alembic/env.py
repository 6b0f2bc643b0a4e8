"""Alembic environment: runs on the connection magnum-lite hands it."""

from alembic import context

from magnum_lite.db import models

target_metadata = models.Base.metadata


def run_migrations_online():
    connection = context.config.attributes.get('connection')
    if connection is None:
        raise RuntimeError('magnum-lite runs migrations through '
                           'magnum_lite.db.migration only')
    context.configure(connection=connection,
                      target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == 'sqlite')
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
