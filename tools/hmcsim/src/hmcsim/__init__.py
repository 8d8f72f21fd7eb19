"""hmcsim: a simulator of an IBM Z HMC/SE console (WS API, STOMP notifications, BCPii) for tests and demos."""

__version__ = "0.1.0"
