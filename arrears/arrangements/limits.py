"""The maker-checker limits of plans and settlements, per role and per product.

Read from ``limits.yaml`` beside this module, or the file ``ARREARS_APPROVAL_LIMITS`` names,
through :mod:`arrears.yamlfile` (a mistake is reported with its file, line and key). Shares are
Decimals written in quotes (``"0.10"``), never floats.

:func:`assess` puts a proposal to the limits: the limits of the maker's role (within them: no
approval needed), then those of every role that may approve (``arrangement.approve``): beyond
the maker's but within one approver role's, it waits for approval; beyond every approver role's,
it is refused with :class:`OverLimitError` (409, ``over_limit``) naming the limit. Over several
products (a case's accounts), the tightest limit of each kind applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from arrears.auth.permissions import ROLE_PERMISSIONS, Permission, Role
from arrears.errors import ConflictError, PermissionDeniedError
from arrears.i18n import N_
from arrears.yamlfile import FileModel, load_yaml

SHIPPED = Path(__file__).with_name("limits.yaml")


def _share(value: Any) -> Any:
    """A share from the file: a quoted decimal or a whole number from 0 to 1 (a bare 0.1 is a
    float in YAML and is refused, so that no binary fraction ever becomes a limit)."""
    if isinstance(value, Decimal):
        return value if value.is_finite() and Decimal(0) <= value <= Decimal(1) else _share(str(value))
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('write a share as a quoted decimal, such as "0.10"')
    try:
        share = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError('write a share as a quoted decimal, such as "0.10"') from None
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        raise ValueError("a share is from 0 to 1")
    return share


Share = Annotated[Decimal, BeforeValidator(_share)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class LimitOverride(FileModel):
    max_discount: Share | None = None
    max_waived_fees: dict[Currency, Annotated[int, Field(ge=0)]] | None = None
    max_waived_share: Share | None = None
    max_months: Annotated[int, Field(ge=0, le=480)] | None = None
    max_installments: Annotated[int, Field(ge=0, le=360)] | None = None


class LimitEntry(FileModel):
    max_discount: Share
    max_waived_fees: dict[Currency, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    max_waived_share: Share | None = None
    max_months: Annotated[int, Field(ge=0, le=480)]
    max_installments: Annotated[int, Field(ge=0, le=360)]


class RoleLimits(FileModel):
    default: LimitEntry
    products: dict[str, LimitOverride] = Field(default_factory=dict)


class LimitsFile(FileModel):
    roles: dict[Annotated[Role, Field(strict=False)], RoleLimits]


NONE = LimitEntry(max_discount=Decimal(0), max_months=0, max_installments=0)
"""The limits of a role the file does not name: nothing without approval."""


@dataclass(frozen=True)
class Proposal:
    """What the limits read of a plan or settlement."""

    currency: str
    owed: int
    """Minor units owed when proposed (the base of the shares)."""
    discount: int
    waived_fees: int
    months: int
    installments: int
    products: tuple[str, ...]


@dataclass(frozen=True)
class Breach:
    limit: str
    """discount, waived_fees, waived_share, months or installments"""
    value: str
    maximum: str

    def __str__(self) -> str:
        return f"{self.limit} {self.value} > {self.maximum}"


class OverLimitError(ConflictError):
    code = "over_limit"
    default_message = N_("{limit} {value} is beyond every approver's limit ({maximum})")


class BeyondYourLimitError(PermissionDeniedError):
    code = "beyond_your_limit"
    default_message = N_("{limit} {value} is beyond your role's limit ({maximum}): a higher role approves it")


@dataclass(frozen=True)
class Limits:
    roles: Mapping[Role, RoleLimits]

    def entry(self, role: Role, products: Sequence[str]) -> LimitEntry:
        """The limits of ``role`` for a proposal over ``products``: per product its override over
        the default, then the tightest of each kind."""
        limits = self.roles.get(role)
        if limits is None:
            return NONE
        entries = [_merged(limits.default, limits.products.get(product)) for product in products] or [
            limits.default
        ]
        return LimitEntry(
            max_discount=min(e.max_discount for e in entries),
            max_waived_fees={
                currency: min(e.max_waived_fees.get(currency, 0) for e in entries)
                for currency in set().union(*(e.max_waived_fees for e in entries))
            },
            max_waived_share=min(
                (e.max_waived_share for e in entries if e.max_waived_share is not None), default=None
            ),
            max_months=min(e.max_months for e in entries),
            max_installments=min(e.max_installments for e in entries),
        )

    def breaches(self, role: Role, proposal: Proposal) -> list[Breach]:
        """The limits of ``role`` the proposal goes beyond (none: the role may agree to it)."""
        entry = self.entry(role, proposal.products)
        found: list[Breach] = []
        discount = share_of(proposal.discount, proposal.owed)
        if discount > entry.max_discount:
            found.append(Breach("discount", _percent(discount), _percent(entry.max_discount)))
        if proposal.waived_fees > 0:
            allowed = entry.max_waived_fees.get(proposal.currency, 0)
            if proposal.waived_fees > allowed:
                found.append(
                    Breach(
                        "waived_fees",
                        f"{proposal.waived_fees} {proposal.currency}",
                        f"{allowed} {proposal.currency}",
                    )
                )
            waived = share_of(proposal.waived_fees, proposal.owed)
            if entry.max_waived_share is not None and waived > entry.max_waived_share:
                found.append(Breach("waived_share", _percent(waived), _percent(entry.max_waived_share)))
        if proposal.months > entry.max_months:
            found.append(Breach("months", str(proposal.months), str(entry.max_months)))
        if proposal.installments > entry.max_installments:
            found.append(Breach("installments", str(proposal.installments), str(entry.max_installments)))
        return found

    def approver_roles(self) -> list[Role]:
        return [role for role in Role if Permission.ARRANGEMENT_APPROVE in ROLE_PERMISSIONS[role]]

    def assess(self, maker: Role, proposal: Proposal) -> list[Breach]:
        """The maker's limits the proposal passes (empty: approved at once), or OverLimitError
        when no approver role covers it (naming the first limit every one of them refuses)."""
        beyond = self.breaches(maker, proposal)
        if not beyond:
            return []
        refusals = [self.breaches(role, proposal) for role in self.approver_roles()]
        if all(refusals):
            first = min(refusals, key=len)[0]
            raise OverLimitError(limit=first.limit, value=first.value, maximum=first.maximum)
        return beyond

    def check_approver(self, role: Role, proposal: Proposal) -> None:
        """Nothing when ``role``'s limits cover the proposal, else BeyondYourLimitError (403)."""
        beyond = self.breaches(role, proposal)
        if beyond:
            first = beyond[0]
            raise BeyondYourLimitError(limit=first.limit, value=first.value, maximum=first.maximum)


def share_of(part: int, whole: int) -> Decimal:
    """``part / whole`` as an exact Decimal (1 when nothing is owed but something is given up)."""
    if part <= 0:
        return Decimal(0)
    if whole <= 0:
        return Decimal(1)
    return Decimal(part) / Decimal(whole)


def _percent(share: Decimal) -> str:
    """A share as a percentage to 0.001%, rounded up (so that a share beyond a limit never reads
    as equal to it)."""
    return f"{(share * 100).quantize(Decimal('0.001'), rounding=ROUND_CEILING).normalize():f}%"


def _merged(default: LimitEntry, override: LimitOverride | None) -> LimitEntry:
    if override is None:
        return default
    changed = {key: value for key, value in override.model_dump().items() if value is not None}
    return default.model_copy(update=changed)


@cache
def load_limits(path: Path | None = None) -> Limits:
    """The limits of the file at ``path`` (the shipped one when None)."""
    loaded = load_yaml(path or SHIPPED, LimitsFile)
    return Limits(roles=dict(loaded.roles))
