"""Measuring retrieval and the whole pipeline on question sets in the shared eval format."""
