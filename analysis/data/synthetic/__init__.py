"""The synthetic data generators behind :mod:`analysis.data.demo`, one module per part."""
