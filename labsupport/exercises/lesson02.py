"""Exercises of lesson 02."""
from __future__ import annotations

from .base import Exercise

EXERCISES: list[Exercise] = []
