"""Stand-in external systems for the demo and the tests (real HTTP services, simulated data)."""
