"""Request and response shapes.

Input schemas (``...In``) and output schemas (``...Out``) are separate classes,
never one reused for both: what a client may send and what it gets back differ
(no client sets an id; no output carries a token's hash or a member's email).
Input schemas forbid unknown fields, so a typo is a 422, not a silent no-op.
Decimals (money amounts, percentages, hours) travel as strings, never floats.
"""
