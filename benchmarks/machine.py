"""What every benchmark prints beside its ratios: the CPU and its vector flags."""

from __future__ import annotations

from art_genre.machine import VECTOR_FLAGS as FLAGS
from art_genre.machine import machine_line

__all__ = ["FLAGS", "machine_line"]
