"""Finding the knowledge-base entry that answers a question: hybrid dense + lexical retrieval."""
