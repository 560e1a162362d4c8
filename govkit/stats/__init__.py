"""Vectorised statistics shared by the checks: groups, bootstrap intervals."""
