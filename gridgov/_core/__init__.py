"""The internal core: kernels that several gridgov modules share.

Names here have no underscore (they are the internal API), and nothing here
imports from a gridgov module above it (only :mod:`gridgov.errors`).  Not a
public API: users import :mod:`gridgov`.
"""
