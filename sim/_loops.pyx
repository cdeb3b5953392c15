# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled loops of the model's month: :mod:`sim.phases` and :mod:`sim.rules.kernel` hold their documented wrappers.

Every loop runs without the GIL. Uniforms are compared in ``float32`` (and the return-home
rate in ``float64``) exactly as whole-array numpy code would, so a run's results do not
depend on which code path computed them.
"""

import numpy as np

from libc.math cimport floorf
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

ctypedef int16_t city_t  # sim.population.CITY_DTYPE: up to 32,767 cities

from sim.behaviour import OVER_45 as _OVER_45
from sim.population import (
    CHILD as _CHILD,
    COLLEGE as _COLLEGE,
    FORMAL as _FORMAL,
    HEAD as _HEAD,
    INFORMAL as _INFORMAL,
    MIGRANT as _MIGRANT,
    MINOR_AGE as _MINOR_AGE,
    NO_CHANNEL as _NO_CHANNEL,
    NO_MONTH as _NO_MONTH,
    OWN as _OWN,
    PARENT as _PARENT,
    RENT as _RENT,
    SETTLED as _SETTLED,
    SPOUSE as _SPOUSE,
    UNEMPLOYED as _UNEMPLOYED,
)
from sim.ledger import HISTORY_INDEX as _HISTORY

# The population's codes as C constants, taken from their single definition in Python.
cdef int8_t MIGRANT = _MIGRANT, SETTLED = _SETTLED
cdef int8_t HEAD = _HEAD, SPOUSE = _SPOUSE, CHILD = _CHILD, PARENT = _PARENT
cdef int8_t UNEMPLOYED = _UNEMPLOYED, INFORMAL = _INFORMAL, FORMAL = _FORMAL
cdef int8_t RENT = _RENT, OWN = _OWN, COLLEGE = _COLLEGE, NO_CHANNEL = _NO_CHANNEL
cdef int64_t NO_MONTH = _NO_MONTH, MINOR_MONTHS = _MINOR_AGE * 12, OVER_45 = _OVER_45

# What an exact counter counts (sim.ledger.HISTORIES). The kinds before HOME_IN_GROUP are bits of
# a month's flags (bit k set: the month counts for kind k); EMPLOYED is one more flag bit, read by
# WORK_IN_GROUP, which with HOME_IN_GROUP compares the person's district group with the counter's.
cdef int64_t H_SOCIAL_INSURANCE = _HISTORY["social_insurance"], H_TAX = _HISTORY["tax"]
cdef int64_t H_RESIDED = _HISTORY["resided"], H_OWNED = _HISTORY["owned"], H_RENTED = _HISTORY["rented"]
cdef int64_t H_PERMIT = _HISTORY["permit"], H_WITH_PERMIT = _HISTORY["social_insurance_with_permit"]
cdef int64_t H_HOME_IN_GROUP = _HISTORY["home_in_group"], H_WORK_IN_GROUP = _HISTORY["work_in_group"]
cdef int64_t F_EMPLOYED = 15
cdef int16_t NO_GROUP = -1


# The instruction set of a compiled rule period (see sim.rules.kernel, which writes programs
# in it from the compiled forms of sim.rules.condition_kinds). A condition is a row of
# ``Program.conditions``: an opcode in column OP. IN_RANGE holds when the person's value of
# column COLUMN is in ARG … HIGH (every integer comparison is a range: "at least", "at most",
# "equals", "within"); AT_LEAST_REAL when the real column is at least ``Program.floats``; JOINS
# has a bit mask of household roles in ARG; a counting rule (COUNT) uses the columns KIND …
# FILLED_CAP and its window masks as well.
cpdef enum Op:
    IN_RANGE = 0
    AT_LEAST_REAL = 1
    JOINS = 2
    COUNT = 3


# The per-person values a comparison reads, each computed as sim.rules.context.RuleContext.quantity
# computes the quantity of the same name. Integer columns first; FLOOR_AREA_PER_CAPITA_M2 is real.
cpdef enum Column:
    AGE_YEARS = 0
    MONTHS_IN_CITY = 1
    EDUCATION = 2
    SKILL = 3
    MONTHS_SINCE_GRADUATION = 4
    EMPLOYED_MONTHS = 5
    COMMUNITY_MONTHS = 6
    PERMIT_MONTHS = 7
    TENURE = 8
    OWNS_COMMERCIAL = 9
    SANCTIONS = 10
    FLOOR_AREA_PER_CAPITA_M2 = 11
    AGE_IF_MALE = 12
    AGE_IF_FEMALE = 13
    COUNTER = 14


# The columns of a condition, in the order sim.rules.kernel.compile_period writes them.
cdef enum:
    OP = 0
    COLUMN = 1
    ARG = 2
    HIGH = 3
    KIND = 4
    REGIONS = 5
    MODE = 6
    NEED = 7
    BACK_CAP = 8
    FILLED_CAP = 9


# How a counting rule counts (see sim.rules.counting.count_ok), and which history it reads.
# TOTAL reads an exact count over any span: the ledger's lifetime counter (ARG -1) or the
# counter in column ARG of the population's counters (see sim.rules.counters).
cpdef enum Mode:
    NEVER = 0
    CONTINUOUS = 1
    TOTAL = 2
    WINDOW = 3


cpdef enum Ledger:
    SOCIAL_INSURANCE = 0
    TAX = 1


cdef extern from *:
    int64_t popcount "__builtin_popcountll"(uint64_t word) noexcept nogil


cdef inline uint64_t low_bits(int64_t bits) noexcept nogil:
    """A word with its lowest ``bits`` bits set (0..64)."""
    if bits >= 64:
        return ~(<uint64_t>0)
    if bits <= 0:
        return 0
    return ((<uint64_t>1) << bits) - 1


cdef extern from *:
    """
    /* numpy's PCG64 (XSL-RR 128/64): step the 128-bit LCG, then output. float32 uniforms take
       the low then the high 32 bits of each output and keep their top 24 bits, as
       numpy.random.Generator.random(dtype=float32) does. */
    typedef struct { unsigned __int128 state, inc; uint64_t word; int high; } sim_draws;

    #define SIM_PCG64_MULTIPLIER \
        ((((unsigned __int128)2549297995355413924ULL) << 64) | 4865540595714422341ULL)

    static inline uint64_t sim_pcg64_next(sim_draws *d) {
        d->state = d->state * SIM_PCG64_MULTIPLIER + d->inc;
        uint64_t value = ((uint64_t)(d->state >> 64)) ^ (uint64_t)d->state;
        unsigned rotation = (unsigned)(d->state >> 122);
        return (value >> rotation) | (value << ((-rotation) & 63));
    }

    static inline void sim_draws_start(sim_draws *d, const uint64_t *cursor) {
        d->state = ((unsigned __int128)cursor[0] << 64) | cursor[1];
        d->inc = ((unsigned __int128)cursor[2] << 64) | cursor[3];
        d->high = 0;
        if (cursor[4]) {  /* an odd slot: its uniform is the high half of the output it shares */
            d->word = sim_pcg64_next(d);
            d->high = 1;
        }
    }

    /* Jump the generator ``delta`` outputs ahead in O(log delta) steps (numpy's pcg_advance_lcg_128). */
    static inline void sim_pcg64_advance(sim_draws *d, uint64_t delta) {
        unsigned __int128 multiplier = SIM_PCG64_MULTIPLIER;
        unsigned __int128 increment = d->inc, total_multiplier = 1, total_increment = 0;
        while (delta > 0) {
            if (delta & 1) {
                total_multiplier *= multiplier;
                total_increment = total_increment * multiplier + increment;
            }
            increment = (multiplier + 1) * increment;
            multiplier *= multiplier;
            delta >>= 1;
        }
        d->state = total_multiplier * d->state + total_increment;
    }

    /* Skip the next ``k`` uniforms. */
    static inline void sim_skip(sim_draws *d, uint64_t k) {
        if (k == 0) return;
        if (d->high) {
            d->high = 0;
            k--;
        }
        if ((k >> 1) > 16) {
            sim_pcg64_advance(d, k >> 1);
        } else {
            for (uint64_t step = 0; step < (k >> 1); step++) d->state = d->state * SIM_PCG64_MULTIPLIER + d->inc;
        }
        if (k & 1) {
            d->word = sim_pcg64_next(d);
            d->high = 1;
        }
    }

    static inline float sim_uniform(sim_draws *d) {
        uint32_t half;
        if (d->high) {
            half = (uint32_t)(d->word >> 32);
        } else {
            d->word = sim_pcg64_next(d);
            half = (uint32_t)d->word;
        }
        d->high = !d->high;
        return (float)(int32_t)(half >> 8) * (1.0f / 16777216.0f);
    }
    """
    ctypedef struct sim_draws:
        pass
    void sim_draws_start(sim_draws* d, const uint64_t* cursor) noexcept nogil
    float sim_uniform(sim_draws* d) noexcept nogil
    void sim_skip(sim_draws* d, uint64_t k) noexcept nogil


cdef inline void start(sim_draws* d, const uint64_t[::1] cursor) noexcept nogil:
    """Position ``d`` at a cursor from :meth:`sim.streams.Streams.cursor` (five words)."""
    sim_draws_start(d, &cursor[0])


def fill_uniforms(const uint64_t[::1] cursor, float[::1] out):
    """The uniforms of consecutive slots from ``cursor`` on (see :meth:`sim.streams.Streams.uniform`)."""
    cdef sim_draws d
    cdef Py_ssize_t j
    with nogil:
        start(&d, cursor)
        for j in range(out.shape[0]):
            out[j] = sim_uniform(&d)


def uniforms_at(const uint64_t[::1] cursor, const int64_t[::1] rows, float[::1] out):
    """The uniforms of ``rows`` (increasing), from a cursor at ``rows[0]``, jumping over the slots between."""
    cdef sim_draws d
    cdef Py_ssize_t j
    cdef int64_t slot
    if rows.shape[0] == 0:
        return
    with nogil:
        start(&d, cursor)
        slot = rows[0]
        for j in range(rows.shape[0]):
            sim_skip(&d, rows[j] - slot)
            out[j] = sim_uniform(&d)
            slot = rows[j] + 1


def dying(const int8_t[::1] status, const uint64_t[::1] cursor, float rate, int64_t first):
    """Rows (numbered from ``first``) of the migrants whose ``mortality`` uniform falls below ``rate``.

    ``status`` starts at slot ``first``, where ``cursor`` is.
    """
    cdef sim_draws d
    cdef Py_ssize_t i, m = 0
    cdef float draw
    found = np.empty(status.shape[0], np.int64)
    cdef int64_t[::1] rows = found
    with nogil:
        start(&d, cursor)
        for i in range(status.shape[0]):
            draw = sim_uniform(&d)
            if status[i] == MIGRANT and draw < rate:
                rows[m] = first + i
                m += 1
    return found[:m].copy()


cdef class Ledgers:
    """Raw pointers to a list of bit ledgers (one per region), for loops without the GIL.

    Parameters
    ----------
    lo, hi : list of ndarray of uint64
        The ledgers' words.
    lifetime : list of ndarray of int16, optional
        Their lifetime counters (not needed by loops that only read the words).
    """

    cdef uint64_t** lo
    cdef uint64_t** hi
    cdef int16_t** lifetime
    cdef Py_ssize_t n
    cdef tuple keep

    def __cinit__(self, list lo, list hi, list lifetime=None):
        cdef uint64_t[::1] lo_words, hi_words
        cdef int16_t[::1] counts
        cdef Py_ssize_t r
        cdef bint counted = lifetime is not None
        self.n = len(lo)
        self.keep = (lo, hi, lifetime)  # the arrays outlive the pointers into them
        self.lo = <uint64_t**>malloc(max(self.n, 1) * sizeof(uint64_t*))
        self.hi = <uint64_t**>malloc(max(self.n, 1) * sizeof(uint64_t*))
        self.lifetime = <int16_t**>malloc(max(self.n, 1) * sizeof(int16_t*))
        for r in range(self.n):
            lo_words, hi_words = lo[r], hi[r]
            empty = lo_words.shape[0] == 0
            self.lo[r] = NULL if empty else &lo_words[0]
            self.hi[r] = NULL if empty else &hi_words[0]
            self.lifetime[r] = NULL
            if counted and not empty:
                counts = lifetime[r]
                self.lifetime[r] = &counts[0]

    def __dealloc__(self):
        free(self.lo)
        free(self.hi)
        free(self.lifetime)


def work_and_contribute(
    int64_t month,
    const int8_t[::1] status,
    const int8_t[::1] role,
    const int16_t[::1] birth_month,
    const int16_t[::1] retirement_age,
    int64_t working_age_min,
    int8_t[::1] employment,
    const int8_t[::1] education,
    const uint8_t[::1] has_business,
    const city_t[::1] city,
    const int16_t[::1] city_since,
    int16_t[::1] employed_months,
    const uint64_t[::1] employment_draws,
    const float[:, ::1] thresholds,
    uint64_t[::1] si_lo,
    uint64_t[::1] si_hi,
    int16_t[::1] si_lifetime,
    uint64_t[::1] back_lo,
    uint64_t[::1] back_hi,
    int16_t[::1] back_lifetime,
    uint64_t[::1] tax_lo,
    uint64_t[::1] tax_hi,
    int16_t[::1] tax_lifetime,
    const int32_t[::1] region_row,
    uint64_t[:, ::1] moved_lo,
    uint64_t[:, ::1] moved_hi,
    int16_t[:, ::1] moved_lifetime,
    const uint8_t[:, ::1] region_members,
    const uint64_t[::1] back_draws,
    float back_rate,
    const int64_t[::1] back_windows,
    const int16_t[::1] graduated_month,
    const int16_t[::1] enrolled_month,
    const int16_t[::1] permit_month,
    const int8_t[::1] tenure,
    const int8_t[::1] home_district,
    const int8_t[::1] work_district,
    const int16_t[:, ::1] district_group,
    int16_t[:, ::1] counters,
    const uint8_t[:, ::1] counter_cities,
    const int8_t[::1] counter_kind,
    const int16_t[::1] counter_group,
    const int64_t[::1] counter_from,
    const uint8_t[::1] counter_study,
):
    """Employment transitions, ledgers, counters and back-payment of every migrant (see :func:`sim.phases.work_and_contribute`).

    Region ledgers are kept for persons who have moved only (``region_row`` >= 0, a row of the
    ``moved_*`` arrays): everyone else's are their city's ledger (see :mod:`sim.regions`).
    """
    cdef Py_ssize_t n_regions = region_members.shape[0], n_counters = counter_kind.shape[0], i, r, c
    cdef int32_t k
    cdef int64_t age, kind, window, span, gaps, graduated, enrolled, first
    cdef uint32_t flags
    cdef bint permitted
    cdef int8_t state
    cdef bint working, paid, employed, business, bit
    cdef float draw
    cdef uint64_t gap_lo, gap_hi, new_lo, new_hi
    cdef bint back = back_draws.shape[0] > 0
    cdef float back_u
    cdef sim_draws employment_u, back_payment_u
    memset(&back_payment_u, 0, sizeof(sim_draws))  # read only when ``back``; zeroed for the compiler's sake
    with nogil:
        start(&employment_u, employment_draws)
        if back:
            start(&back_payment_u, back_draws)
        for i in range(status.shape[0]):
            # Every row takes its uniforms, used or not, so that slot i always gets the i-th.
            draw = sim_uniform(&employment_u)
            back_u = sim_uniform(&back_payment_u) if back else 1
            if status[i] != MIGRANT:
                continue  # settled or gone: nothing reads their histories again
            age = (month - birth_month[i]) // 12
            working = role[i] != PARENT and age >= working_age_min and age < retirement_age[i]
            state = employment[i]
            if working:
                kind = state * 4 + (education[i] >= COLLEGE) * 2 + (age >= OVER_45)
                if draw < thresholds[0, kind]:
                    state = FORMAL
                elif draw < thresholds[1, kind]:
                    state = INFORMAL
                elif draw < thresholds[2, kind]:
                    state = UNEMPLOYED
            else:
                state = UNEMPLOYED
            employment[i] = state
            paid = working and state == FORMAL
            employed = working and state != UNEMPLOYED
            # Close the month: every history shifts by one, this month's bit enters at bit 0.
            si_hi[i] = (si_hi[i] << 1) | (si_lo[i] >> 63)
            si_lo[i] = (si_lo[i] << 1) | <uint64_t>paid
            si_lifetime[i] += paid
            back_hi[i] = (back_hi[i] << 1) | (back_lo[i] >> 63)
            back_lo[i] = back_lo[i] << 1
            business = employed and has_business[i]
            tax_hi[i] = (tax_hi[i] << 1) | (tax_lo[i] >> 63)
            tax_lo[i] = (tax_lo[i] << 1) | <uint64_t>business
            tax_lifetime[i] += business
            employed_months[i] += employed
            k = region_row[i]
            if k >= 0:
                for r in range(n_regions):
                    bit = paid and region_members[r, city[i]]
                    moved_hi[k, r] = (moved_hi[k, r] << 1) | (moved_lo[k, r] >> 63)
                    moved_lo[k, r] = (moved_lo[k, r] << 1) | <uint64_t>bit
                    moved_lifetime[k, r] += bit
            graduated = graduated_month[i]
            enrolled = enrolled_month[i]
            if n_counters:
                permitted = permit_month[i] != NO_MONTH and permit_month[i] <= month
                flags = (
                    (<uint32_t>paid << H_SOCIAL_INSURANCE) | (<uint32_t>business << H_TAX)
                    | (<uint32_t>1 << H_RESIDED) | (<uint32_t>(tenure[i] == OWN) << H_OWNED)
                    | (<uint32_t>(tenure[i] == RENT) << H_RENTED) | (<uint32_t>permitted << H_PERMIT)
                    | (<uint32_t>(paid and permitted) << H_WITH_PERMIT) | (<uint32_t>employed << F_EMPLOYED)
                )
                count_month(
                    counters, i, month, enrolled, graduated, city[i], flags,
                    group_of(district_group, city[i], home_district[i]),
                    group_of(district_group, city[i], work_district[i]),
                    counter_cities, counter_kind, counter_group, counter_from, counter_study,
                )
            if not back:
                continue
            window = back_windows[city[i]]
            if not paid or window <= 0 or not back_u < back_rate:
                continue
            # Back-payment (补缴) of the gaps among the last ``span`` months.
            span = min(max(min(window, month + 1 - city_since[i]), 0), 128)
            gap_lo = low_bits(min(span, 64)) & ~si_lo[i]
            gap_hi = low_bits(max(span - 64, 0)) & ~si_hi[i]
            gaps = popcount(gap_lo) + popcount(gap_hi)
            if gaps == 0:
                continue
            # The back-paid months lie in the current city's stay, so none was in any counter's union;
            # those held with the permit count while holding it (a permit is not given up).
            for c in range(n_counters):
                if not counter_cities[c, city[i]]:
                    continue
                if counter_kind[c] == H_SOCIAL_INSURANCE:
                    first = counter_from[c]
                elif counter_kind[c] == H_WITH_PERMIT and permit_month[i] != NO_MONTH:
                    first = max(counter_from[c], <int64_t>permit_month[i])
                else:
                    continue
                counters[i, c] += counted_since(gap_lo, gap_hi, month, first, counter_study[c], enrolled, graduated)
            si_lo[i] |= gap_lo
            si_hi[i] |= gap_hi
            si_lifetime[i] += gaps
            new_lo = gap_lo & ~back_lo[i]
            new_hi = gap_hi & ~back_hi[i]
            back_lo[i] |= new_lo
            back_hi[i] |= new_hi
            back_lifetime[i] += popcount(new_lo) + popcount(new_hi)
            if k < 0:
                continue
            for r in range(n_regions):
                if region_members[r, city[i]]:
                    new_lo = gap_lo & ~moved_lo[k, r]
                    new_hi = gap_hi & ~moved_hi[k, r]
                    moved_lo[k, r] |= new_lo
                    moved_hi[k, r] |= new_hi
                    moved_lifetime[k, r] += popcount(new_lo) + popcount(new_hi)


cdef inline int16_t group_of(const int16_t[:, ::1] district_group, city_t city, int8_t district) noexcept nogil:
    """The group of ``city``'s district ``district`` (NO_GROUP for no district)."""
    if district < 0 or district >= district_group.shape[1]:
        return NO_GROUP
    return district_group[city, district]


cdef inline void count_month(
    int16_t[:, ::1] counters,
    Py_ssize_t row,
    int64_t month,
    int64_t enrolled,
    int64_t graduated,
    city_t city,
    uint32_t flags,
    int16_t home_group,
    int16_t work_group,
    const uint8_t[:, ::1] counter_cities,
    const int8_t[::1] counter_kind,
    const int16_t[::1] counter_group,
    const int64_t[::1] counter_from,
    const uint8_t[::1] counter_study,
) noexcept nogil:
    """Add ``row``'s closed ``month`` to each exact counter that counts it (see :mod:`sim.rules.counters`).

    ``flags`` says which histories the month counts for (bit k: kind k; bit F_EMPLOYED: at work).
    """
    cdef Py_ssize_t c
    cdef int64_t kind
    cdef bint bit
    for c in range(counter_kind.shape[0]):
        if month < counter_from[c] or not counter_cities[c, city]:
            continue
        if counter_study[c] and (graduated == NO_MONTH or month >= graduated or month < enrolled):
            continue
        kind = counter_kind[c]
        if kind == H_HOME_IN_GROUP:
            bit = (flags >> H_RESIDED) & 1 and home_group == counter_group[c]
        elif kind == H_WORK_IN_GROUP:
            bit = (flags >> F_EMPLOYED) & 1 and work_group == counter_group[c]
        else:
            bit = (flags >> kind) & 1
        counters[row, c] += bit


cdef inline int64_t counted_since(
    uint64_t lo, uint64_t hi, int64_t month, int64_t first, bint study, int64_t enrolled, int64_t graduated
) noexcept nogil:
    """Months among the bits ``lo, hi`` (bit 0: ``month``) from ``first`` on and, if ``study``, from ``enrolled`` to before ``graduated``."""
    cdef int64_t keep, skip
    if study:
        if graduated == NO_MONTH:
            return 0
        first = max(first, enrolled)
        skip = month - graduated + 1
        lo &= ~low_bits(skip)
        hi &= ~low_bits(skip - 64)
    keep = month - first + 1
    if keep < 128:
        lo &= low_bits(keep)
        hi &= low_bits(keep - 64)
    return popcount(lo) + popcount(hi)


def household_totals(
    int64_t month,
    const int8_t[::1] status,
    const int8_t[::1] role,
    const int32_t[::1] household,
    const int16_t[::1] birth_month,
    int16_t[::1] members,
    int16_t[::1] spouses,
    int16_t[::1] minors,
    uint8_t[::1] has_settled_adult,
):
    """Members, spouses, minors and settled adults per household (see :func:`sim.households.household_totals`)."""
    cdef Py_ssize_t i
    cdef int32_t h
    with nogil:
        for i in range(status.shape[0]):
            if status[i] != MIGRANT and status[i] != SETTLED:
                continue
            h = household[i]
            members[h] += 1
            if role[i] == SPOUSE:
                spouses[h] += 1
            elif role[i] == CHILD and month - birth_month[i] < MINOR_MONTHS:
                minors[h] += 1
            if status[i] == SETTLED and (role[i] == HEAD or role[i] == SPOUSE):
                has_settled_adult[h] = True


def city_counts(
    const int8_t[::1] status,
    const city_t[::1] city,
    const int8_t[::1] employment,
    const int8_t[::1] applied_channel,
    int8_t points,
    int64_t[:, ::1] counts,
):
    """Migrants, settled, formal, points pool and pending per city (see :func:`sim.phases.city_counts`)."""
    cdef Py_ssize_t i
    cdef city_t c
    with nogil:
        for i in range(status.shape[0]):
            c = city[i]
            if status[i] == MIGRANT:
                counts[0, c] += 1
                counts[2, c] += employment[i] == FORMAL
                if applied_channel[i] == points:
                    counts[3, c] += 1
                elif applied_channel[i] != NO_CHANNEL:
                    counts[4, c] += 1
            elif status[i] == SETTLED:
                counts[1, c] += 1


def reside(
    int64_t month,
    const int8_t[::1] status,
    const int8_t[::1] role,
    const city_t[::1] city,
    const int16_t[::1] city_since,
    const int32_t[::1] household,
    int16_t[::1] permit_month,
    int8_t[::1] tenure,
    int16_t[::1] community_since,
    const int64_t[::1] permit_after,
    const uint64_t[::1] permit_draws,
    float permit_rate,
    const uint64_t[::1] purchase_draws,
    float purchase_rate,
    const uint64_t[::1] community_draws,
    float community_rate,
    uint8_t[::1] buying,
    uint8_t[::1] moving,
):
    """Permits, home purchases and community moves (see :func:`sim.phases.reside`)."""
    cdef Py_ssize_t i
    cdef sim_draws permit_u, purchase_u, community_u
    cdef float permit_draw, purchase_draw, community_draw
    with nogil:
        start(&permit_u, permit_draws)
        start(&purchase_u, purchase_draws)
        start(&community_u, community_draws)
        for i in range(status.shape[0]):
            permit_draw = sim_uniform(&permit_u)
            purchase_draw = sim_uniform(&purchase_u)
            community_draw = sim_uniform(&community_u)
            if status[i] != MIGRANT:
                continue
            if permit_month[i] == NO_MONTH and month - city_since[i] >= permit_after[city[i]] and permit_draw < permit_rate:
                permit_month[i] = <int16_t>month
            if role[i] == HEAD and tenure[i] == RENT:
                if purchase_draw < purchase_rate:
                    buying[household[i]] = True
                if community_draw < community_rate:
                    moving[household[i]] = True
        for i in range(status.shape[0]):
            if status[i] != MIGRANT:
                continue
            if buying[household[i]]:
                tenure[i] = OWN
            if moving[household[i]]:
                community_since[i] = <int16_t>month


def returning_home(
    const int8_t[::1] status,
    const int8_t[::1] role,
    const int8_t[::1] employment,
    const int32_t[::1] household,
    const uint64_t[::1] draws,
    double rate,
    double multiplier,
    uint8_t[::1] households,
    uint8_t[::1] returning,
):
    """Migrants whose household returns home (see :func:`sim.phases.returning_home`)."""
    cdef Py_ssize_t i
    cdef double head_rate
    cdef float draw
    cdef sim_draws u
    with nogil:
        start(&u, draws)
        for i in range(status.shape[0]):
            draw = sim_uniform(&u)
            if status[i] == MIGRANT and role[i] == HEAD:
                head_rate = rate * (multiplier if employment[i] == UNEMPLOYED else 1.0)
                if <double>draw < head_rate:
                    households[household[i]] = True
        for i in range(status.shape[0]):
            returning[i] = status[i] == MIGRANT and households[household[i]]


def moving_city(
    const int8_t[::1] status,
    const int8_t[::1] role,
    const city_t[::1] city,
    const int32_t[::1] household,
    const uint64_t[::1] move_draws,
    float rate,
    const uint64_t[::1] target_draws,
    int64_t n_cities,
    city_t[::1] target,
    uint8_t[::1] moving,
):
    """Migrants whose household moves to another city (see :func:`sim.phases.moving_city`)."""
    cdef Py_ssize_t i
    cdef float others = <float>(n_cities - 1)
    cdef int64_t step
    cdef float move_draw, target_draw
    cdef sim_draws move_u, target_u
    with nogil:
        start(&move_u, move_draws)
        start(&target_u, target_draws)
        for i in range(status.shape[0]):
            move_draw = sim_uniform(&move_u)
            target_draw = sim_uniform(&target_u)
            if status[i] == MIGRANT and role[i] == HEAD and move_draw < rate:
                step = 1 + <int64_t>floorf(target_draw * others)
                target[household[i]] = <city_t>((city[i] + step) % n_cities)
        for i in range(status.shape[0]):
            moving[i] = status[i] == MIGRANT and target[household[i]] >= 0


cdef class Persons:
    """The population as the eligibility kernel reads it: typed views of its arrays and of a month's households.

    Built once per call of :func:`sim.rules.kernel.verdict_bits` (a handful of views, no copies),
    so that :func:`verdicts` takes one typed argument instead of thirty arrays.

    Parameters
    ----------
    pop : Population
        The population (every row).
    households : Households
        This month's household totals.
    """

    cdef const int16_t[::1] birth_month, graduated_month, city_since, employed_months, community_since
    cdef const int16_t[::1] permit_month, members, si_lifetime, tax_lifetime
    cdef const int8_t[::1] role, education, skill, tenure, sanctions
    cdef const int32_t[::1] household
    cdef const uint8_t[::1] has_settled_adult, owns_commercial, is_male
    cdef const float[::1] floor_area
    cdef const uint64_t[::1] si_lo, si_hi, back_lo, back_hi, tax_lo, tax_hi
    cdef const int16_t[:, ::1] counters
    cdef Ledgers regions

    def __init__(self, pop, households):
        self.birth_month = pop.birth_month
        self.role = pop.role
        self.household = pop.household
        self.has_settled_adult = households.has_settled_adult.view(np.uint8)
        self.members = households.members
        self.education = pop.education
        self.skill = pop.skill
        self.graduated_month = pop.graduated_month
        self.city_since = pop.city_since
        self.employed_months = pop.employed_months
        self.community_since = pop.community_since
        self.permit_month = pop.permit_month
        self.tenure = pop.tenure
        self.owns_commercial = pop.owns_commercial.view(np.uint8)
        self.is_male = pop.is_male.view(np.uint8)
        self.floor_area = pop.floor_area_m2
        self.sanctions = pop.sanctions
        self.si_lo, self.si_hi, self.si_lifetime = pop.social_insurance.lo, pop.social_insurance.hi, pop.social_insurance.lifetime
        self.back_lo, self.back_hi = pop.back_paid.lo, pop.back_paid.hi
        self.tax_lo, self.tax_hi, self.tax_lifetime = pop.tax.lo, pop.tax.hi, pop.tax.lifetime
        self.regions = Ledgers([r.lo for r in pop.region_paid], [r.hi for r in pop.region_paid])
        self.counters = pop.counters.values


def verdicts(
    const int64_t[::1] rows,
    int64_t month,
    const int64_t[:, ::1] routes,
    const int64_t[:, ::1] conditions,
    const double[::1] floats,
    const uint64_t[:, ::1] masks,
    Persons persons,
    uint8_t[::1] eligible,
    uint8_t[::1] gap_only,
):
    """Channel verdicts of ``rows`` under a compiled period (see :func:`sim.rules.kernel.verdict_bits`).

    Routes are tried in order and a route stops at its first failed condition; a channel that
    admits the person skips its remaining routes. The "had every gap been paid" verdict is
    followed only while no channel admits the person and no route has yet passed with gaps
    filled: all that is asked of it is whether gaps alone hold the person back.

    Raises
    ------
    ValueError
        If a condition has an opcode or column this loop does not know.
    """
    # Local views: the loop reads them as it read its arguments, without going through ``persons``.
    cdef const int16_t[::1] birth_month = persons.birth_month, graduated_month = persons.graduated_month
    cdef const int16_t[::1] city_since = persons.city_since, employed_months = persons.employed_months
    cdef const int16_t[::1] community_since = persons.community_since, permit_month = persons.permit_month
    cdef const int16_t[::1] members = persons.members
    cdef const int16_t[::1] si_lifetime = persons.si_lifetime, tax_lifetime = persons.tax_lifetime
    cdef const int8_t[::1] role = persons.role, education = persons.education, skill = persons.skill
    cdef const int8_t[::1] tenure = persons.tenure, sanctions = persons.sanctions
    cdef const int32_t[::1] household = persons.household
    cdef const uint8_t[::1] has_settled_adult = persons.has_settled_adult
    cdef const uint8_t[::1] owns_commercial = persons.owns_commercial, is_male = persons.is_male
    cdef const float[::1] floor_area = persons.floor_area
    cdef const uint64_t[::1] si_lo = persons.si_lo, si_hi = persons.si_hi
    cdef const uint64_t[::1] back_lo = persons.back_lo, back_hi = persons.back_hi
    cdef const uint64_t[::1] tax_lo = persons.tax_lo, tax_hi = persons.tax_hi
    cdef const int16_t[:, ::1] counters = persons.counters
    cdef Ledgers regions = persons.regions
    cdef Py_ssize_t n_routes = routes.shape[0], i, r, k, region
    cdef int64_t row, age, lived, code, arg, mode, total, value, back, permit, graduated, bits, column
    cdef int64_t unknown = -1
    cdef uint8_t got, bit
    cdef bint counted, filled, filled_any, ok
    cdef uint64_t lo, hi, paid_back_lo, paid_back_hi, mask_lo, mask_hi
    cdef float area
    with nogil:
        for i in range(rows.shape[0]):
            row = rows[i]
            age = (month - birth_month[row]) // 12
            lived = max(month - city_since[row], 0)
            got = 0
            filled_any = False
            for r in range(n_routes):
                bit = <uint8_t>(1 << routes[r, 0])
                if got & bit:
                    continue  # another route of the channel admits the person
                counted = True
                filled = got == 0 and not filled_any
                for k in range(routes[r, 1], routes[r, 2]):
                    code = conditions[k, OP]
                    arg = conditions[k, ARG]
                    if code == COUNT:
                        if not counted and not filled:
                            break
                        mode = conditions[k, MODE]
                        if filled:
                            filled = mode != NEVER and min(lived, conditions[k, FILLED_CAP]) >= conditions[k, NEED]
                        if counted and mode == NEVER:
                            counted = False
                        elif counted:
                            if mode == TOTAL:
                                if arg >= 0:
                                    total = counters[row, arg]
                                elif conditions[k, KIND] == TAX:
                                    total = tax_lifetime[row]
                                else:
                                    total = si_lifetime[row]
                                counted = total >= conditions[k, NEED]
                                continue
                            if conditions[k, KIND] == TAX:
                                lo, hi = tax_lo[row], tax_hi[row]
                                paid_back_lo, paid_back_hi = 0, 0
                            else:
                                lo, hi = si_lo[row], si_hi[row]
                                # Back-paid months are kept per person, whichever city they were back-paid in.
                                paid_back_lo, paid_back_hi = back_lo[row], back_hi[row]
                                bits = conditions[k, REGIONS]
                                for region in range(regions.n):
                                    if bits >> region & 1:
                                        lo |= regions.lo[region][row]
                                        hi |= regions.hi[region][row]
                            mask_lo, mask_hi = masks[k, 0], masks[k, 1]
                            if mode == CONTINUOUS:
                                counted = (lo & mask_lo) == mask_lo and (hi & mask_hi) == mask_hi
                                if counted:
                                    back = popcount(paid_back_lo & mask_lo) + popcount(paid_back_hi & mask_hi)
                                    counted = back <= conditions[k, BACK_CAP]
                            else:
                                counted = popcount(lo & mask_lo) + popcount(hi & mask_hi) >= conditions[k, NEED]
                        continue
                    column = conditions[k, COLUMN]
                    if code == IN_RANGE:
                        if column == AGE_YEARS:
                            value = age
                        elif column == MONTHS_IN_CITY:
                            value = lived
                        elif column == EDUCATION:
                            value = education[row]
                        elif column == SKILL:
                            value = skill[row]
                        elif column == MONTHS_SINCE_GRADUATION:
                            graduated = graduated_month[row]
                            value = -1 if graduated == NO_MONTH else month - graduated
                        elif column == EMPLOYED_MONTHS:
                            value = employed_months[row]
                        elif column == COMMUNITY_MONTHS:
                            value = max(month - community_since[row], 0)
                        elif column == PERMIT_MONTHS:
                            permit = permit_month[row]
                            value = -1 if permit == NO_MONTH else month - permit
                        elif column == TENURE:
                            value = tenure[row]
                        elif column == OWNS_COMMERCIAL:
                            value = owns_commercial[row]
                        elif column == SANCTIONS:
                            value = sanctions[row]
                        elif column == AGE_IF_MALE:
                            value = age if is_male[row] else -1
                        elif column == AGE_IF_FEMALE:
                            value = -1 if is_male[row] else age
                        elif column == COUNTER:
                            # The counter's column is in the instruction's KIND slot (see sim.rules.kernel).
                            value = counters[row, conditions[k, KIND]]
                        else:
                            unknown = k
                            break
                        ok = value >= arg and value <= conditions[k, HIGH]
                    elif code == JOINS:
                        ok = (arg >> role[row]) & 1 == 1 and has_settled_adult[household[row]]
                    elif code == AT_LEAST_REAL and column == FLOOR_AREA_PER_CAPITA_M2:
                        area = <float>(<double>floor_area[row] / <double>max(members[household[row]], 1))
                        ok = area >= floats[k]
                    else:
                        unknown = k
                        break
                    if not ok:
                        counted = False
                        filled = False
                        break
                if unknown >= 0:
                    break
                if counted:
                    got |= bit
                if filled:
                    filled_any = True
            if unknown >= 0:
                break
            eligible[i] = got
            gap_only[i] = got == 0 and filled_any
    if unknown >= 0:
        raise ValueError(
            f"condition {unknown} has opcode {conditions[unknown, OP]} on column {conditions[unknown, COLUMN]}, "
            "which the kernel does not evaluate"
        )


def choose(
    const int64_t[::1] rows,
    uint8_t[::1] eligible,
    uint8_t[::1] known,
    const uint8_t[::1] gap_only,
    const int8_t[::1] first_channel,
    const int16_t[::1] grandfather_until,
    const int8_t[::1] grandfather_channel,
    const int8_t[::1] applied_channel,
    int64_t month,
    int8_t points,
    int8_t[::1] eligible_channel,
    uint8_t[::1] still_eligible,
    int64_t[::1] counts,
    int64_t[::1] candidates,
    int8_t[::1] candidate_channel,
):
    """From a city's verdicts to its applicants-to-be (see :func:`sim.phases.choose`); returns their number."""
    cdef Py_ssize_t i, c, m = 0
    cdef int64_t row, any_count = 0, gap_count = 0, unaware_count = 0, not_applied = 0
    cdef int64_t histogram[256]
    cdef uint8_t e, kept
    cdef int8_t first, channel, waiting
    cdef bint free, any_now
    for c in range(256):
        histogram[c] = 0
    with nogil:
        for i in range(rows.shape[0]):
            row = rows[i]
            histogram[eligible[i]] += 1
            if grandfather_until[row] > month and grandfather_channel[row] >= 0:
                # Grandfathered persons keep the channel they had (``known`` may be ``eligible`` itself).
                kept = <uint8_t>(1 << grandfather_channel[row])
                eligible[i] |= kept
                known[i] |= kept
            e = eligible[i]
            first = first_channel[e]
            eligible_channel[row] = first
            any_now = first != NO_CHANNEL
            channel = first_channel[known[i]]
            waiting = applied_channel[row]
            if waiting != NO_CHANNEL:
                still_eligible[row] = (e >> waiting) & 1
            any_count += any_now
            gap_count += gap_only[i] != 0 and not any_now
            unaware_count += any_now and channel == NO_CHANNEL
            # Persons waiting in a points pool may still apply to an ordinary channel they now meet.
            free = waiting == NO_CHANNEL or (waiting == points and channel != points)
            not_applied += any_now and free
            candidates[m] = row
            candidate_channel[m] = channel
            m += channel != NO_CHANNEL and free
    counts[0], counts[1], counts[2], counts[3] = any_count, gap_count, unaware_count, not_applied
    # Channel counts from the verdicts before grandfathering, one byte value at a time.
    for i in range(256):
        for c in range(8):
            counts[4 + c] += histogram[i] * ((i >> c) & 1)
    return m


def intention_logit(
    const int64_t[::1] rows,
    int64_t month,
    const int8_t[::1] role,
    const int32_t[::1] household,
    const int16_t[::1] spouses,
    const int16_t[::1] minors,
    const int16_t[::1] birth_month,
    const int16_t[::1] city_since,
    const int8_t[::1] education,
    const uint8_t[::1] has_land,
    double intercept,
    double age_40_plus,
    double college_or_above,
    double has_spouse_in_city,
    double has_children_in_city,
    double land,
    double years_in_city,
    double years_cap,
    double[::1] out,
):
    """Settlement-intention logit of ``rows`` (see :func:`sim.phases.intention_logit`)."""
    cdef Py_ssize_t i
    cdef int64_t row, h
    cdef double years
    cdef bint partner
    with nogil:
        for i in range(rows.shape[0]):
            row = rows[i]
            h = household[row]
            partner = (role[row] == HEAD or role[row] == SPOUSE) and spouses[h] > 0
            years = min(max(month - city_since[row], 0) / 12.0, years_cap)
            # Terms added in this order, as the array expression does, so the sums agree to the bit.
            out[i] = (
                intercept
                + age_40_plus * ((month - birth_month[row]) // 12 >= 40)
                + college_or_above * (education[row] >= COLLEGE)
                + has_spouse_in_city * partner
                + has_children_in_city * (minors[h] > 0)
                + land * has_land[row]
                + years_in_city * years
            )


def region_view(
    const city_t[::1] city,
    const int32_t[::1] own_row,
    const int64_t[::1] named,
    const uint8_t[:, ::1] members,
    const uint64_t[::1] si_lo,
    const uint64_t[::1] si_hi,
    const int16_t[::1] si_lifetime,
    const uint64_t[:, ::1] moved_lo,
    const uint64_t[:, ::1] moved_hi,
    const int16_t[:, ::1] moved_lifetime,
    uint64_t[::1] view_lo,
    uint64_t[::1] view_hi,
    int16_t[::1] view_lifetime,
):
    """Each row's ledger of the region its city names (``named[city]``, -1: none) into the view (see :mod:`sim.regions`).

    A person with a row of their own (``own_row`` >= 0) reads it; anyone else's is their city's
    ledger if the city is in the region, else empty. Rows whose city names no region are left as they are.
    """
    cdef Py_ssize_t i
    cdef int64_t r
    cdef int32_t k
    with nogil:
        for i in range(city.shape[0]):
            r = named[city[i]]
            if r < 0:
                continue
            k = own_row[i]
            if k >= 0:
                view_lo[i] = moved_lo[k, r]
                view_hi[i] = moved_hi[k, r]
                view_lifetime[i] = moved_lifetime[k, r]
            elif members[r, city[i]]:
                view_lo[i] = si_lo[i]
                view_hi[i] = si_hi[i]
                view_lifetime[i] = si_lifetime[i]
            else:
                view_lo[i] = 0
                view_hi[i] = 0
                view_lifetime[i] = 0


def rows_by_city(const int8_t[::1] status, const city_t[::1] city, Py_ssize_t n_cities):
    """Migrants grouped by city, each group in row order (see :func:`sim.phases.migrants_by_city`).

    Returns ``(order, starts)``: city ``c``'s migrants are ``order[starts[c]:starts[c + 1]]``.
    A counting sort: one pass counts each city's migrants, a second puts each in its city's
    next place. Two passes whatever the number of cities, so a national scenario of hundreds
    of cities costs what one city does.
    """
    cdef Py_ssize_t i, c, n = 0
    starts_array = np.zeros(n_cities + 1, np.int64)
    cdef int64_t[::1] starts = starts_array
    with nogil:
        for i in range(status.shape[0]):
            if status[i] == MIGRANT:
                starts[city[i] + 1] += 1
        for c in range(n_cities):
            starts[c + 1] += starts[c]
    n = starts[n_cities]
    order_array = np.empty(n, np.int64)
    next_array = starts_array[:n_cities].copy()
    cdef int64_t[::1] order = order_array, place = next_array
    with nogil:
        for i in range(status.shape[0]):
            if status[i] == MIGRANT:
                c = city[i]
                order[place[c]] = i
                place[c] += 1
    return order_array, starts_array


def count_bits(
    int64_t month,
    const uint64_t[::1] si_lo,
    const uint64_t[::1] si_hi,
    const uint64_t[::1] tax_lo,
    const uint64_t[::1] tax_hi,
    const city_t[::1] city,
    const int16_t[::1] enrolled_month,
    const int16_t[::1] graduated_month,
    const int16_t[::1] permit_month,
    int16_t[:, ::1] counters,
    const uint8_t[:, ::1] counter_cities,
    const int8_t[::1] counter_kind,
    const int64_t[::1] counter_from,
    const uint8_t[::1] counter_study,
):
    """Add to each social-insurance and tax counter the months of its ledger's bits (bit 0: ``month``) that it counts.

    Social insurance while holding the permit counts the months paid from the permit's month on
    (see :mod:`sim.synthesis`); the other kinds are not counted from these bits.
    """
    cdef Py_ssize_t i, c, n_counters = counter_kind.shape[0]
    cdef int64_t kind, first
    with nogil:
        for i in range(city.shape[0]):
            for c in range(n_counters):
                kind = counter_kind[c]
                first = counter_from[c]
                if not counter_cities[c, city[i]]:
                    continue
                if kind == H_TAX:
                    counters[i, c] += counted_since(
                        tax_lo[i], tax_hi[i], month, first, counter_study[c], enrolled_month[i], graduated_month[i]
                    )
                elif kind == H_SOCIAL_INSURANCE or (kind == H_WITH_PERMIT and permit_month[i] != NO_MONTH):
                    if kind == H_WITH_PERMIT:
                        first = max(first, <int64_t>permit_month[i])
                    counters[i, c] += counted_since(
                        si_lo[i], si_hi[i], month, first, counter_study[c], enrolled_month[i], graduated_month[i]
                    )


cdef inline int8_t month_before(
    int8_t now, float draw, const float[:, :, ::1] thresholds, int8_t career
) noexcept nogil:
    """The state a month earlier: ``draw`` below the cumulative leaving rates of ``now`` for the
    ``career`` moves, else stays."""
    if draw < thresholds[career, now, 0]:
        return UNEMPLOYED
    if draw < thresholds[career, now, 1]:
        return INFORMAL
    if draw < thresholds[career, now, 2]:
        return FORMAL
    return now


def history_month(
    Py_ssize_t k,
    Py_ssize_t back,
    int32_t[::1] workers,
    int8_t[::1] state,
    const int8_t[::1] career,
    const int32_t[::1] months_in_city,
    const uint8_t[::1] has_business,
    const float[::1] u,
    const float[:, :, ::1] thresholds,
    uint64_t[::1] si_lo,
    uint64_t[::1] si_hi,
    uint64_t[::1] tax_lo,
    uint64_t[::1] tax_hi,
    int16_t[::1] employed,
    int64_t month,
    const city_t[::1] city,
    const int16_t[::1] enrolled_month,
    const int16_t[::1] graduated_month,
    const int8_t[::1] work_district,
    const int16_t[:, ::1] district_group,
    int16_t[:, ::1] counters,
    const uint8_t[:, ::1] counter_cities,
    const int8_t[::1] counter_kind,
    const int16_t[::1] counter_group,
    const int64_t[::1] counter_from,
    const uint8_t[::1] counter_study,
):
    """Month ``back`` before the start, ``month``, for the ``k`` workers present then (see :mod:`sim.synthesis`).

    Each records their state (``state[j]`` for worker ``workers[j]``; formal: a contribution, at
    work with a business: tax) in month ``back``'s bit of the ledgers, and a month at work in the
    counters of months worked in a district group, then draws the state of the month before:
    ``u`` below the cumulative leaving rates of the current state moves to unemployed, informal
    or formal; above them the state is kept. ``career[row]`` picks the row's table of rates
    (``thresholds[career]``, one per kind of contribution career). The workers present the month
    before stay at the front of ``workers`` and ``state``, in order; returns how many.
    """
    cdef Py_ssize_t j, c, kept = 0, word = (back - 1) // 64
    cdef bint counting = False
    cdef int32_t row
    cdef uint64_t bit = (<uint64_t>1) << ((back - 1) % 64)
    cdef int8_t now
    cdef uint64_t* si = &si_lo[0] if word == 0 else &si_hi[0]
    cdef uint64_t* tax = &tax_lo[0] if word == 0 else &tax_hi[0]
    for c in range(counter_kind.shape[0]):
        counting = counting or counter_kind[c] == H_WORK_IN_GROUP
    with nogil:
        for j in range(k):
            row = workers[j]
            now = state[j]
            if now == FORMAL:
                si[row] |= bit
            if now != UNEMPLOYED:
                employed[row] += 1
                if has_business[row]:
                    tax[row] |= bit
                if counting:
                    # Only the work-in-group counters read this flag; the ledgers' bits are counted later.
                    count_month(
                        counters, row, month, enrolled_month[row], graduated_month[row], city[row],
                        (<uint32_t>1) << F_EMPLOYED, NO_GROUP,
                        group_of(district_group, city[row], work_district[row]),
                        counter_cities, counter_kind, counter_group, counter_from, counter_study,
                    )
            workers[kept] = row
            state[kept] = month_before(now, u[row], thresholds, career[row])
            kept += months_in_city[row] > back
    return kept


def history_older(
    Py_ssize_t k,
    Py_ssize_t back,
    int64_t month,
    int32_t[::1] workers,
    int8_t[::1] state,
    const int8_t[::1] career,
    const int32_t[::1] months_in_city,
    const uint8_t[::1] has_business,
    const float[::1] u,
    const float[:, :, ::1] thresholds,
    const city_t[::1] city,
    const int16_t[::1] enrolled_month,
    const int16_t[::1] graduated_month,
    const int16_t[::1] permit_month,
    const int8_t[::1] work_district,
    const int16_t[:, ::1] district_group,
    int16_t[:, ::1] counters,
    const uint8_t[:, ::1] counter_cities,
    const int8_t[::1] counter_kind,
    const int16_t[::1] counter_group,
    const int64_t[::1] counter_from,
    const uint8_t[::1] counter_study,
    int16_t[::1] si_lifetime,
    int16_t[::1] tax_lifetime,
    int16_t[::1] employed,
):
    """Month ``back`` (> 128) before the start, ``month``, for the ``k`` workers present then.

    As :func:`history_month`, with ``u[j]`` the uniform of worker ``workers[j]``, but the month is
    older than the ledgers' bits: it enters the lifetime counters, the months employed and the
    exact counters of the histories the walk knows (see :mod:`sim.rules.counters`) only: social
    insurance (while holding the permit too), tax and work in a district group.
    """
    cdef Py_ssize_t j, kept = 0
    cdef int32_t row
    cdef int8_t now
    cdef bint paid, business, working, permitted
    with nogil:
        for j in range(k):
            row = workers[j]
            now = state[j]
            paid = now == FORMAL
            working = now != UNEMPLOYED
            business = working and has_business[row]
            permitted = permit_month[row] != NO_MONTH and permit_month[row] <= month
            si_lifetime[row] += paid
            tax_lifetime[row] += business
            employed[row] += working
            count_month(
                counters, row, month, enrolled_month[row], graduated_month[row], city[row],
                (<uint32_t>paid << H_SOCIAL_INSURANCE) | (<uint32_t>business << H_TAX)
                | (<uint32_t>(paid and permitted) << H_WITH_PERMIT) | (<uint32_t>working << F_EMPLOYED),
                NO_GROUP, group_of(district_group, city[row], work_district[row]),
                counter_cities, counter_kind, counter_group, counter_from, counter_study,
            )
            workers[kept] = row
            state[kept] = month_before(now, u[j], thresholds, career[row])
            kept += months_in_city[row] > back
    return kept


cdef extern from *:
    """
    #ifdef __GLIBC__
    #include <malloc.h>
    static int sim_release_free_memory(void) { return malloc_trim(0); }
    #else
    static int sim_release_free_memory(void) { return 0; }
    #endif
    """
    int sim_release_free_memory() noexcept nogil


def release_free_memory():
    """Give the C heap's free pages back to the operating system (glibc's ``malloc_trim``; elsewhere nothing).

    The heap keeps the pages of freed arrays for reuse; after the last month nothing will reuse
    the month's scratch space, and the result tables would otherwise come on top of it.
    Returns whether any memory was released.
    """
    return sim_release_free_memory() == 1
