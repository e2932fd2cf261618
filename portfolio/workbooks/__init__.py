"""The five phase workbooks of a pilot: models, facts for the gate engine, services, pages, API.

Public reads for other apps live in `portfolio.workbooks.provides`; every write goes through
`portfolio.workbooks.services`.
"""
