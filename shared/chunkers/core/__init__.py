"""The core every capability builds on: chunks and their invariant, sizes, spans, packing under a budget, the
optimal segmentation, option declarations and settings specs. Imports nothing from the rest of the engine."""
