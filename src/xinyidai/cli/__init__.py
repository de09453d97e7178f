"""The ``xinyidai`` console script (``xinyidai.cli:main``): one module per command group,
``main`` adds them all, ``common`` holds what they share, ``plugins`` finds the commands that
the ML project lends (``model train``, ``model evaluate``)."""

from xinyidai.cli.main import main

__all__ = ["main"]
