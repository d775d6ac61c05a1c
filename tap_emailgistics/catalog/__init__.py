"""The catalog: what each stream is and what its records hold.

The declarative report registry (``registry``), every column a report can carry
(``columns``), the JSON Schemas generated from them (``schema_files``) and found at run
time (``schemas``), and how a row of a result becomes a record (``rows``, ``extras``).
"""
