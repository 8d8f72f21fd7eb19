"""hmcsim's own tests use the same fixtures as the integration tests."""

from hmcsim.pytest_fixtures import hmcsim, hmcsim_factory

__all__ = ["hmcsim", "hmcsim_factory"]
