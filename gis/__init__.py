"""Foundation: reading and writing data, CRS, geometry checks, metric primitives.

Knows nothing about roads, clinics or gaps.
"""
