"""Leaves every stage uses: text, located YAML, canonical JSON, the decimal context.

Nothing here imports a stage of the pipeline.
"""
