"""Privacy-first gallery of Vimeo video statements."""

__version__ = "0.1.0"
