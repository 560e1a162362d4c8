"""Data that does not fit in memory: its sources, and the engines that measure it."""
