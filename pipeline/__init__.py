"""arXiv metadata enrichment pipeline for the Learning-Resources reading list."""
