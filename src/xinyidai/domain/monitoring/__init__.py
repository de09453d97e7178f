"""Credit office monitoring: statistics, rollups, exports, service levels, the pool."""
