"""Turn a folder of news articles into a searchable store.

Reading files into articles, sentence-aware chunking with character offsets, the
embedding model, the Chroma store (dense) and its BM25 twin (sparse), and the
incremental indexer. Knows nothing of answering questions: that is `rag`.
Nothing here loads a model or opens a store at import time.
"""
