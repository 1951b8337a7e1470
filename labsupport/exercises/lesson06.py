"""Exercises of lesson 06."""
from __future__ import annotations

from .base import Exercise

EXERCISES: list[Exercise] = []
