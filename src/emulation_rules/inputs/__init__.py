"""What the units send: submissions, cluster facts and reviews, read and validated as models.

:mod:`~emulation_rules.inputs.read` reads submission files of any kind (YAML, JSON or an Excel
workbook) and is the only module here that imports the Excel reader.
"""
