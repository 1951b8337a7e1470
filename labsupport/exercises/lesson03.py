"""Exercises of lesson 03."""
from __future__ import annotations

from .base import Exercise

EXERCISES: list[Exercise] = []
