"""Offline machine learning: the simulated city with known ground truth, training, evaluation."""
