"""The reader behind :func:`analysis.data.intake.read_input`, one module per part."""
