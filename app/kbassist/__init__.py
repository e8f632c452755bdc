"""KB Assist: knowledge-base articles and reply macros for payment-support cases."""

__version__ = "0.1.0"
