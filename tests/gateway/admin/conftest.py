"""The admin API tests run on SQLite and on the real PostgreSQL."""

from tests.gateway.support import database_url, either_hub  # noqa: F401 - fixtures, imported to be found here
