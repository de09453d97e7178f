"""Bulk import of public credit information (being split into modules: see the next commit)."""

from xinyidai.domain.credit_data.imports.loader import *  # noqa: F403
from xinyidai.domain.credit_data.imports.loader import __all__  # noqa: F401
