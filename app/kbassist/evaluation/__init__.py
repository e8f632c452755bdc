"""Measuring suggestion quality on labelled cases, beside two baselines (``kbassist eval``, tests, tools).

A development tool, not part of the shipped core: it sits at the faces' layer beside the CLI, and nothing in
``search``, ``usage`` or ``content`` imports it. Its cases live in the source checkout (``sets.py``).
"""
