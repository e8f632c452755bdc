"""Reading and checking knowledge-base files. No Qt here."""

from kbassist.content.loader import KbContent, load_kb
from kbassist.content.model import PRODUCTS, Article, KbItem, Macro, Problem

__all__ = ["PRODUCTS", "Article", "KbContent", "KbItem", "Macro", "Problem", "load_kb"]
