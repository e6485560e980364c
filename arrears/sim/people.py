"""Customers: who they are, where they live, and how they will pay (drawn, not written).

The behaviour and its dates are the hidden truth of the simulation: the feed shows only its
effects (payments made or missed), as a real core system would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from arrears.sim import names
from arrears.sim.profile import Behaviour, Profile
from arrears.sim.text import Ints, Mask, dates, digits, join, numbered, pick, scatter

PLACES: tuple[names.Place, ...] = tuple(p for p, _ in names.CHINESE_PLACES + names.OVERSEAS_PLACES)
FIRST_OVERSEAS = len(names.CHINESE_PLACES)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARACTERS = ("1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2")
EPISODE_MONTHS = np.array([1, 2, 3, 4, 5, 6])
EPISODE_WEIGHTS = np.array([0.35, 0.25, 0.15, 0.10, 0.08, 0.07])
SEGMENTS = ("mass", "emerging_affluent", "affluent", "private")
SEGMENT_WEIGHTS = np.array([0.70, 0.18, 0.10, 0.02])


def weighted(rng: np.random.Generator, weights: npt.ArrayLike, size: int) -> npt.NDArray[np.int64]:
    """Indices drawn with the given relative weights."""
    w = np.asarray(weights, dtype=np.float64)
    return rng.choice(len(w), size=size, p=w / w.sum()).astype(np.int64)


@dataclass(frozen=True)
class People:
    number: Ints  # global customer number, the digits of customer_id
    english: Mask  # an English name (language en), else a Chinese one (zh-CN)
    place: Ints  # index into PLACES
    surname: Ints  # into names.CHINESE_SURNAMES or names.ENGLISH_SURNAMES
    given: Ints  # into names.GIVEN_NAME_CHARACTERS or names.ENGLISH_GIVEN_NAMES
    second_given: Ints  # second character of a Chinese given name, -1 when there is none
    birth: npt.NDArray[np.datetime64]
    behaviour: npt.NDArray[np.int8]
    stop_on: npt.NDArray[np.datetime64]  # STOPS_PAYING: dues from this date on go unpaid
    episode_on: npt.NDArray[np.datetime64]  # LATE_THEN_CURES: the first missed due is on or after
    episode_months: Ints  # LATE_THEN_CURES: dues missed before the cure
    partial_percent: Ints  # PARTIAL: share of each due paid

    @property
    def size(self) -> int:
        return len(self.number)

    @property
    def customer_id(self) -> pa.Array:
        return numbered("C", self.number, 10)


def draw_people(
    rng: np.random.Generator, first_number: int, size: int, as_of: np.datetime64, profile: Profile
) -> People:
    english = rng.random(size) < profile.english_name_share
    abroad = english | (rng.random(size) < profile.chinese_abroad_share)
    chinese_place = weighted(rng, [w for _, w in names.CHINESE_PLACES], size)
    overseas_place = FIRST_OVERSEAS + weighted(rng, [w for _, w in names.OVERSEAS_PLACES], size)
    surname = np.where(
        english,
        rng.integers(0, len(names.ENGLISH_SURNAMES), size),
        weighted(rng, [share for _, _, share in names.CHINESE_SURNAMES], size),
    )
    given = np.where(
        english,
        rng.integers(0, len(names.ENGLISH_GIVEN_NAMES), size),
        rng.integers(0, len(names.GIVEN_NAME_CHARACTERS), size),
    )
    two_characters = ~english & (rng.random(size) < 0.7)
    second = np.where(two_characters, rng.integers(0, len(names.GIVEN_NAME_CHARACTERS), size), -1)
    age_days = np.clip(rng.normal(38 * 365.25, 10 * 365.25, size), 21 * 365.25, 72 * 365.25).astype(np.int64)
    behaviour = weighted(rng, profile.behaviour_shares, size).astype(np.int8)
    stop_days = np.minimum(rng.exponential(150.0, size), 900).astype(np.int64)
    return People(
        number=np.arange(first_number, first_number + size, dtype=np.int64),
        english=english,
        place=np.where(abroad, overseas_place, chinese_place),
        surname=surname,
        given=given,
        second_given=second,
        birth=as_of - age_days.astype("timedelta64[D]"),
        behaviour=behaviour,
        stop_on=as_of - stop_days.astype("timedelta64[D]"),
        episode_on=as_of - rng.integers(0, 720, size).astype("timedelta64[D]"),
        episode_months=EPISODE_MONTHS[weighted(rng, EPISODE_WEIGHTS, size)],
        partial_percent=rng.integers(30, 91, size),
    )


def names_of(people: People) -> pa.Array:
    chinese = np.flatnonzero(~people.english)
    english = np.flatnonzero(people.english)
    given_chars = [c for c, _ in names.GIVEN_NAME_CHARACTERS]
    second = people.second_given[chinese]
    chinese_names = join(
        pick([s for s, _, _ in names.CHINESE_SURNAMES], people.surname[chinese]),
        pick(given_chars, people.given[chinese]),
        pick([*given_chars, ""], np.where(second < 0, len(given_chars), second)),
    )
    english_names = join(
        pick(names.ENGLISH_GIVEN_NAMES, people.given[english]),
        " ",
        pick(names.ENGLISH_SURNAMES, people.surname[english]),
    )
    return scatter(people.size, [(chinese, chinese_names), (english, english_names)])


def romanised(people: People, where: npt.NDArray[np.int64]) -> pa.Array:
    """Lower-case ASCII of the name (pinyin for Chinese names), for e-mail and WeChat ids."""
    english = people.english[where]
    latin_given = [g.lower() for g in names.ENGLISH_GIVEN_NAMES]
    latin_surname = [s.lower().replace("'", "") for s in names.ENGLISH_SURNAMES]
    pinyin_given = [p for _, p in names.GIVEN_NAME_CHARACTERS]
    second = people.second_given[where]
    chinese = join(
        pick([p for _, p, _ in names.CHINESE_SURNAMES], np.where(english, 0, people.surname[where])),
        pick(pinyin_given, np.where(english, 0, people.given[where])),
        pick([*pinyin_given, ""], np.where(second < 0, len(pinyin_given), second)),
    )
    latin = join(
        pick(latin_given, np.where(english, people.given[where], 0)),
        ".",
        pick(latin_surname, np.where(english, people.surname[where], 0)),
    )
    return pc.if_else(pa.array(english), latin, chinese)


def national_ids(rng: np.random.Generator, people: People) -> pa.Array:
    """18-digit resident identity numbers (with their ISO 7064 check character) for mainland
    residents; passport-style numbers for everyone else."""
    mainland = np.flatnonzero(people.place < FIRST_OVERSEAS)
    others = np.flatnonzero(people.place >= FIRST_OVERSEAS)
    birth = people.birth[mainland]
    year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    region = np.array([p.region_code for p in PLACES], dtype=np.int64)[people.place[mainland]]
    sequence = rng.integers(1, 1000, len(mainland))
    body = region * 10**11 + (year * 10_000 + month * 100 + day) * 1_000 + sequence
    checksum = np.zeros(len(mainland), dtype=np.int64)
    remaining = body.copy()
    for weight in ID_WEIGHTS[::-1]:
        checksum += (remaining % 10) * weight
        remaining //= 10
    mainland_ids = join(digits(body, 17), pick(ID_CHECK_CHARACTERS, checksum % 11))
    passports = join(
        pick(("E", "P"), people.english[others].astype(np.int64)),
        digits(rng.integers(0, 10**8, len(others)), 8),
    )
    return scatter(people.size, [(mainland, mainland_ids), (others, passports)])


def customers_table(rng: np.random.Generator, people: People, has_sme_loan: Mask) -> pa.Table:
    segment = weighted(rng, SEGMENT_WEIGHTS, people.size)
    return pa.table(
        {
            "customer_id": people.customer_id,
            "name": names_of(people),
            "national_id": national_ids(rng, people),
            "birth_date": dates(people.birth),
            "language": pick(("zh-CN", "en"), people.english.astype(np.int64)),
            "country": pick([p.country for p in PLACES], people.place),
            "timezone": pick([p.zone for p in PLACES], people.place),
            "segment": pick([*SEGMENTS, "sme"], np.where(has_sme_loan, len(SEGMENTS), segment)),
        }
    )


def is_behaviour(people: People, behaviour: Behaviour) -> Mask:
    return np.asarray(people.behaviour == behaviour)
