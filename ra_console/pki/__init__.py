"""Pure PKI helpers: CSR checks, profiles, certificate building, local CA, bundles, lint.

No Flask and no database here: bytes in, frozen dataclasses out.
"""
