"""Benchmarks for newsrag: speed, memory and scale, with quality measured beside them.

`newsrag bench [--report FILE.json] [--quick]` runs them (`bench.run.run`): indexing
throughput, retrieval and answer latency on stores of growing size, the local LLM,
cold starts, concurrent chat clients, and newsrag's retrieval against the LangChain
tutorial pipeline on the gold set. Each figure sits beside its target in the report.
These print figures; they are not tests (the smoke test in tests/bench only checks
that a quick run produces a well-formed report).
"""
