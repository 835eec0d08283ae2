"""What the index stores: records, BM25, facets, vectors, embeddings, crash-safe files."""
