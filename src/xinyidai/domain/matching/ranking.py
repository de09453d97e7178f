"""The order an SME sees its matches in.

1. **Eligible first.**
2. Among the ineligible, **fewest unmet criteria first** (the nearest to qualifying on top).
3. **Offered before not offered**: a product whose estimated limit falls under its minimum
   comes after those with a limit.
4. **Higher estimated limit first.**
5. **Lower rate for the SME's grade first** (the low end of its range).
6. **Shorter committed response time first.**
7. Then the catalogue's own order (stable), so equal products keep a fixed order.

Vectorised over the catalogue (``np.lexsort``), for one SME's row of the results.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from xinyidai.domain.matching.engine import Catalogue, Results
from xinyidai.domain.matching.pricing import Estimates


def rank(
    results: Results, estimates: Estimates, catalogue: Catalogue, row: int = 0
) -> NDArray[np.intp]:
    """The catalogue's product indexes in the order SME ``row`` sees them."""
    unmet = results.unmet[row]
    counts = np.zeros(unmet.shape, dtype=np.int16)
    for bit in range(16):
        counts += (unmet >> bit) & 1
    limit = np.nan_to_num(estimates.limit[row], nan=0.0)
    keys = (
        np.arange(len(catalogue)),  # last resort: catalogue order
        catalogue.response_days,
        estimates.rate_low[row],
        -limit,
        ~estimates.offered[row],
        counts,  # 0 for the eligible
        unmet != 0,  # primary: eligible first
    )
    order: NDArray[np.intp] = np.lexsort(keys)
    return order
