"""The simulated city: one seeded, pure generator of everything the sandbox systems know.

A city is a seed. Its firms, their monthly figures and their public records are pure functions
of ``(seed, USCC, month)`` (counter-based hashing, no generator state), so any process, any
batch and any subset of firms sees the same city:

* :mod:`~xinyidai.simulation.registry`: who the firms are. Firm ``i`` has a USCC, a name, an
  industry, a district, a registered capital, a founding date and a legal representative with
  a valid resident ID; firm ``i`` is the same in a city of ten and of a million.
* :mod:`~xinyidai.simulation.traits` and :mod:`~xinyidai.simulation.randomness`: each firm's
  fixed traits, and the counter-based draws everything is made of.
* :mod:`~xinyidai.simulation.generator`: each firm's latent monthly state (trend,
  season, Chinese New Year, city-wide shocks, its own cycle and shocks, distress) and the
  monthly figures of every data family (tax, electricity, water, gas, social insurance,
  housing fund) that follow from it.
* :mod:`~xinyidai.simulation.records`: the public credit records (penalties, listings, red
  lists, licences, commitments, tax/customs/environmental grades) drawn month by month from
  the same latent state and a hidden compliance trait.
* :mod:`~xinyidai.simulation.exports`: those records as rows of the municipal public-credit
  system's export (what the credit office imports), and fast synthetic rows in that format
  for import tests and benchmarks.
* :mod:`~xinyidai.simulation.purposes`: the ids of every draw, so that no two quantities
  share a random stream.

Who uses it: the sandbox data provider serves the generator's figures (``sandbox/provider``);
the demo city (``domain/demo``) registers firms of the registry, imports their simulated
records and syncs their figures from the sandbox; the credit simulator (``xinyidai_ml``)
evaluates the same city for many firms at once and adds what is only about learning
(authorizations, loans, defaults, true PDs, training snapshots). Nothing here imports
``xinyidai_ml``.
"""

from xinyidai.simulation.generator import (
    FAMILY_COLUMNS,
    LatentState,
    family_series,
    latent_state,
    monthly_values,
    values_for,
)
from xinyidai.simulation.traits import FirmTraits, families_of, firm_traits, is_active

__all__ = [
    "FAMILY_COLUMNS",
    "FirmTraits",
    "LatentState",
    "families_of",
    "family_series",
    "firm_traits",
    "is_active",
    "latent_state",
    "monthly_values",
    "values_for",
]
