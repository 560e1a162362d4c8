"""Engines that compute the sufficient statistics: pandas in memory, DuckDB embedded, Ray distributed."""
