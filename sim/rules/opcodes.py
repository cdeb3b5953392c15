"""The instruction set of a compiled rule period (:mod:`sim.rules.kernel`).

A condition is a row of ``Program.conditions``: an opcode in column :data:`OP` and its
integer argument in :data:`ARG`; a counting rule (:data:`COUNT`) uses the columns from
:data:`KIND` to :data:`FILLED_CAP` as well.
"""

# Opcodes of a condition; the argument is in column ARG (or the floats array for floor area).
ADULT, JOINS, EDUCATION_MIN, SKILL_MIN, GRADUATED_WITHIN, AGE_MIN, AGE_MAX = range(7)
RESIDENCE_MIN, EMPLOYMENT_MIN, COMMUNITY_MIN, PERMIT_MIN, TENURE, COMMERCIAL, AREA_MIN, SANCTIONS_MAX = range(7, 15)
COUNT = 15
"""A counting rule; its columns are KIND … FILLED_CAP and its window masks ``masks[k]``."""
# Columns of ``Program.conditions``.
OP, ARG, KIND, REGIONS, MODE, NEED, BACK_CAP, FILLED_CAP = range(8)
# Counting modes (see :func:`sim.rules.counting.count_ok`).
NEVER, CONTINUOUS, LIFETIME, WINDOW = range(4)
# Ledger kinds of a counting rule.
SOCIAL_INSURANCE, TAX = 0, 1
