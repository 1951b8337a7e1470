"""Exercises of lesson 04."""
from __future__ import annotations

from .base import Exercise

EXERCISES: list[Exercise] = []
