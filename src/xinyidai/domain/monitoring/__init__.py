"""The credit office's monitoring: statistics and KPIs read from daily rollups kept in the
transaction of each event (``rollups.py``, ``rebuild.py``, ``stats.py``)."""
