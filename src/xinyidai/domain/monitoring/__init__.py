"""The credit office's monitoring: statistics and KPIs read from daily rollups kept in the
transaction of each event (``rollups.py``, ``rebuild.py``, ``stats.py``), and exports of them
and of the loan ledger (``exports.py``, ``export_*.py``)."""
