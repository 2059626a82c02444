from tests.e2e.servers import daphne_servers  # noqa: F401
