"""Exercises of lesson 05."""
from __future__ import annotations

from .base import Exercise

EXERCISES: list[Exercise] = []
