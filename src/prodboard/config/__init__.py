"""The config files: schema (pydantic, strict, closed, bounded), loading once, team +
personal layering; every error one line ``FILE:LINE: key: why``."""

from prodboard.config.load import Config, load_config, load_ui, load_workflow
from prodboard.errors import ConfigError

__all__ = ["Config", "ConfigError", "load_config", "load_ui", "load_workflow"]
