"""Shared test set-up: a non-interactive matplotlib backend for every unit test."""

import matplotlib

matplotlib.use("Agg")
