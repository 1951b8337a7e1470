"""Exercises of lesson 00."""
from __future__ import annotations

from .base import Exercise

EXERCISES: list[Exercise] = []
