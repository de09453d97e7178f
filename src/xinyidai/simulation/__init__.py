"""The simulated city: seeded, pure generators of the figures the sandbox systems serve."""

from xinyidai.simulation.generator import (
    FAMILY_COLUMNS,
    FirmTraits,
    LatentState,
    families_of,
    family_series,
    firm_traits,
    is_active,
    latent_state,
    monthly_values,
    values_for,
)

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
