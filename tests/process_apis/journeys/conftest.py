"""The journey tests run on SQLite and on the real PostgreSQL."""

from tests.gateway.support import database_url  # noqa: F401 - a fixture, imported to be found here
