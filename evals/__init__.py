"""The evaluation suite: a gold question set, answer and retrieval metrics, and a runner.

`evals.gold` reads `gold.jsonl`, `evals.metrics` holds the pure scoring functions,
`evals.runner` puts questions to an engine and writes the report. Importing this
package loads nothing heavy: the engine is handed in by the caller.
"""
