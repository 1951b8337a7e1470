"""Exercises of lesson 01."""
from __future__ import annotations

from .base import Exercise

EXERCISES: list[Exercise] = []
