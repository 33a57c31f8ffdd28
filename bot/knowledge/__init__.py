"""The curated multilingual knowledge base: schema, loading, validation and statistics."""

from bot.knowledge.loader import KnowledgeBase, load_knowledge_base
from bot.knowledge.schema import Entry, Translation
from bot.knowledge.taxonomy import Taxonomy, load_taxonomy
from bot.knowledge.validation import Problem, validate_knowledge_base

__all__ = [
    "Entry",
    "KnowledgeBase",
    "Problem",
    "Taxonomy",
    "Translation",
    "load_knowledge_base",
    "load_taxonomy",
    "validate_knowledge_base",
]
