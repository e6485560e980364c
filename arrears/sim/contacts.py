"""Contact points: the debtor's mobile, e-mail, WeChat and addresses, and other parties' phones.

A customer's phone numbers are made from one random number and a fixed stride, so that the
debtor, the emergency contact and the guarantor never share a number (the feed's key is
customer, type and value).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arrears.sim import names
from arrears.sim.people import FIRST_OVERSEAS, PLACES, People, romanised
from arrears.sim.text import Ints, Mask, digits, join, pick, scatter

NUMBER_STRIDE = 12_345_679  # successive numbers of one customer differ in their last digits
GUARANTOR_RELATIONS = ("relative", "friend", "business_partner")
COLUMNS = ("customer_id", "type", "value", "label", "is_primary", "party", "relation", "do_not_contact")


def _mobiles(rng: np.random.Generator, people: People, who: Ints, base: Ints, offset: int) -> pa.Array:
    """The ``offset``-th mobile number of each customer in ``who``, on their place's phone plan."""
    place = people.place[who]
    groups: list[tuple[Ints, pa.Array]] = []
    for index in np.unique(place):
        plan = PLACES[int(index)]
        where = np.flatnonzero(place == index)
        span = 10**plan.mobile_digits - plan.mobile_floor
        subscriber = plan.mobile_floor + (base[who[where]] + offset * NUMBER_STRIDE) % span
        prefix = pick(plan.mobile_prefixes, rng.integers(0, len(plan.mobile_prefixes), len(where)))
        groups.append((where, join(prefix, digits(subscriber, plan.mobile_digits))))
    return scatter(len(who), groups) if groups else pa.array([], pa.string())


def _emails(rng: np.random.Generator, people: People, who: Ints) -> pa.Array:
    mainland = people.place[who] < FIRST_OVERSEAS
    cn_domain = rng.integers(0, len(names.EMAIL_DOMAINS_CN), len(who))
    domains = [*names.EMAIL_DOMAINS_CN, *names.EMAIL_DOMAINS_INTL]
    intl_domain = len(names.EMAIL_DOMAINS_CN) + rng.integers(0, len(names.EMAIL_DOMAINS_INTL), len(who))
    domain = np.where(mainland, cn_domain, intl_domain)
    year = people.birth[who].astype("datetime64[Y]").astype(np.int64) + 1970
    suffix = np.where(rng.random(len(who)) < 0.5, year, rng.integers(1, 1000, len(who)))
    named = join(romanised(people, who), digits(suffix, 1))
    qq_number = digits(rng.integers(10_000_000, 3_000_000_000, len(who)), 8)
    local = pc.if_else(pa.array(domain == names.EMAIL_DOMAINS_CN.index("qq.com")), qq_number, named)
    return join(local, "@", pick(domains, domain))


def _home_addresses(rng: np.random.Generator, people: People, who: Ints) -> pa.Array:
    size = len(who)
    tail = pick([p.address_tail for p in PLACES], people.place[who])
    chinese = join(
        tail,
        pick(names.CHINESE_ROADS, rng.integers(0, len(names.CHINESE_ROADS), size)),
        digits(rng.integers(1, 900, size), 1),
        "号",
        pick(names.CHINESE_ESTATES, rng.integers(0, len(names.CHINESE_ESTATES), size)),
        digits(rng.integers(1, 30, size), 1),
        "栋",
        digits(rng.integers(1, 6, size), 1),
        "单元",
        digits(rng.integers(1, 33, size) * 100 + rng.integers(1, 7, size), 1),
        "室",
    )
    english = join(
        digits(rng.integers(1, 2000, size), 1),
        " ",
        pick(names.ENGLISH_STREETS, rng.integers(0, len(names.ENGLISH_STREETS), size)),
        ", ",
        tail,
    )
    return pc.if_else(pa.array(people.place[who] < FIRST_OVERSEAS), chinese, english)


def _rows(
    who: Ints,
    kind: str,
    value: pa.Array,
    *,
    label: str | None,
    primary: bool,
    party: str,
    relation: pa.Array | None = None,
    do_not_contact: Mask | None = None,
) -> dict[str, object]:
    size = len(who)
    return {
        "who": who,
        "type": pa.array([kind] * size, pa.string()) if size else pa.array([], pa.string()),
        "value": value,
        "label": pa.nulls(size, pa.string()) if label is None else pa.array([label] * size, pa.string()),
        "is_primary": pa.array(np.full(size, primary)),
        "party": pa.array([party] * size, pa.string()),
        "relation": relation if relation is not None else pa.nulls(size, pa.string()),
        "do_not_contact": pa.array(do_not_contact if do_not_contact is not None else np.zeros(size, bool)),
    }


def _landlines(prefix: pa.Array, numbers: Ints, people: People, who: Ints) -> pa.Array:
    """Area code and subscriber number, the number cut to its place's length (7 or 8 digits);
    numbers from 80 are moved to 81 (800 is the toll-free range, not a landline)."""
    eight = digits(np.where(numbers // 1_000_000 == 80, numbers + 1_000_000, numbers), 8)
    seven = np.array([p.landline_digits == 7 for p in PLACES])[people.place[who]]
    return join(prefix, pc.if_else(pa.array(seven), pc.utf8_slice_codeunits(eight, 0, 7), eight))


def contact_points_table(rng: np.random.Generator, people: People, has_secured_loan: Mask) -> pa.Table:
    n = people.size
    everyone = np.arange(n, dtype=np.int64)
    base = rng.integers(0, 10**9, n)
    mainland = people.place < FIRST_OVERSEAS
    with_email = np.flatnonzero(rng.random(n) < 0.85)
    with_address = np.flatnonzero(rng.random(n) < 0.95)
    with_wechat = np.flatnonzero(mainland & ~people.english & (rng.random(n) < 0.6))
    with_emergency = np.flatnonzero(rng.random(n) < 0.8)
    with_guarantor = np.flatnonzero(has_secured_loan & (rng.random(n) < 0.6))
    with_employer = np.flatnonzero(mainland & (rng.random(n) < 0.4))
    landline = pick([p.landline_prefix for p in PLACES], people.place[with_employer])
    parts = [
        _rows(
            everyone,
            "mobile",
            _mobiles(rng, people, everyone, base, 0),
            label=None,
            primary=True,
            party="debtor",
        ),
        _rows(
            with_email,
            "email",
            _emails(rng, people, with_email),
            label=None,
            primary=True,
            party="debtor",
            do_not_contact=rng.random(len(with_email)) < 0.01,
        ),
        _rows(
            with_address,
            "address",
            _home_addresses(rng, people, with_address),
            label="home",
            primary=True,
            party="debtor",
        ),
        _rows(
            with_wechat,
            "wechat",
            join(romanised(people, with_wechat), "_", digits(rng.integers(1, 10_000, len(with_wechat)), 2)),
            label=None,
            primary=True,
            party="debtor",
        ),
        _rows(
            with_emergency,
            "mobile",
            _mobiles(rng, people, with_emergency, base, 1),
            label=None,
            primary=False,
            party="emergency_contact",
            relation=pick(names.RELATIONS, rng.integers(0, len(names.RELATIONS), len(with_emergency))),
            do_not_contact=rng.random(len(with_emergency)) < 0.02,
        ),
        _rows(
            with_guarantor,
            "mobile",
            _mobiles(rng, people, with_guarantor, base, 2),
            label=None,
            primary=False,
            party="guarantor",
            relation=pick(GUARANTOR_RELATIONS, rng.integers(0, 3, len(with_guarantor))),
        ),
        _rows(
            with_employer,
            "landline",
            _landlines(
                landline, rng.integers(20_000_000, 90_000_000, len(with_employer)), people, with_employer
            ),
            label="work",
            primary=False,
            party="employer",
        ),
    ]
    who = np.concatenate([np.asarray(p["who"]) for p in parts])
    order = np.argsort(who, kind="stable")
    table = pa.table(
        {
            "customer_id": people.customer_id.take(pa.array(who[order])),
            **{
                column: pa.concat_arrays([p[column] for p in parts]).take(pa.array(order))
                for column in COLUMNS[1:]
            },
        }
    )
    return table
