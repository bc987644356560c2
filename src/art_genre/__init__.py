"""art genre
"""

__version__ = "0.1"
