"""Integration fixtures: ``hmcsim`` (minimal scenario) and ``hmcsim_factory(scenario=..., **opts)``."""

from hmcsim.pytest_fixtures import hmcsim, hmcsim_factory

__all__ = ["hmcsim", "hmcsim_factory"]
