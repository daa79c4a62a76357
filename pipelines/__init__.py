"""territoire-camp: ingest, validate, load and publish public datasets.

Importing this package does no I/O; Dagster objects live in `pipelines.defs.definitions`.
"""
