"""Data larger than memory: sources, sufficient statistics and the engines that compute them."""
