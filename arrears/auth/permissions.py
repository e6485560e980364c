"""Who may do what: the roles, the named permissions, and the one table that joins them.

Every route and every service entry that acts for a person declares one :class:`Permission` (or
is declared public, or open to anyone signed in) and checks it through :func:`require`. Which
personal fields a role sees in full, and which it may reveal with a stated reason, are
permissions too, so the whole access policy is this one table; ``docs/access.md`` is generated
from it (``make access-doc``, :mod:`arrears.api.accessdoc`) and a test keeps the two equal.

Which rows a role sees is its :class:`Scope`, applied inside the queries (see
:mod:`arrears.cases.scope`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from arrears.errors import PermissionDeniedError
from arrears.i18n import N_


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    SUPERVISOR = "supervisor"
    COLLECTOR = "collector"
    FIELD_AGENT = "field_agent"
    AGENCY_USER = "agency_user"
    STRATEGY_ANALYST = "strategy_analyst"
    COMPLIANCE_OFFICER = "compliance_officer"
    AUDITOR = "auditor"
    CUSTOMER = "customer"
    CORE_SYSTEM = "core_system"
    """A machine client: the core banking system, posting payments as they happen."""


ROLE_NAMES: Mapping[Role, str] = {
    Role.ADMINISTRATOR: N_("administrator"),
    Role.SUPERVISOR: N_("supervisor"),
    Role.COLLECTOR: N_("collector"),
    Role.FIELD_AGENT: N_("field agent"),
    Role.AGENCY_USER: N_("agency user"),
    Role.STRATEGY_ANALYST: N_("strategy analyst"),
    Role.COMPLIANCE_OFFICER: N_("compliance officer"),
    Role.AUDITOR: N_("auditor"),
    Role.CUSTOMER: N_("customer"),
    Role.CORE_SYSTEM: N_("core banking system"),
}


class PersonalField(StrEnum):
    """Personal data that is masked unless the caller's role may see it in full."""

    NATIONAL_ID = "national_id"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    BIRTH_DATE = "birth_date"


class Permission(StrEnum):
    CUSTOMER_READ = "customer.read"
    ACCOUNT_READ = "account.read"
    CASE_READ = "case.read"
    CASE_ASSIGN = "case.assign"
    VISIT_ASSIGN = "visit.assign"
    PLACEMENT_READ = "placement.read"
    PLACEMENT_WRITE = "placement.write"
    COMPLIANCE_CHECK = "compliance.check"
    BATCH_READ = "batch.read"
    PORTFOLIO_READ = "portfolio.read"
    REPORT_READ = "report.read"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    TEAM_MANAGE = "team.manage"
    AGENCY_MANAGE = "agency.manage"
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    QUEUE_WORK = "queue.work"
    QUEUE_READ = "queue.read"
    QUEUE_MANAGE = "queue.manage"
    CONTACT_LOG = "contact.log"
    CONTACT_REVIEW = "contact.review"
    TRANSCRIPT_IMPORT = "transcript.import"
    QA_READ = "qa.read"
    PROMISE_TAKE = "promise.take"
    ARRANGEMENT_PROPOSE = "arrangement.propose"
    ARRANGEMENT_APPROVE = "arrangement.approve"
    HOLD_RECORD = "hold.record"
    DISPUTE_RAISE = "dispute.raise"
    PORTAL_USE = "portal.use"
    HOLD_LIFT = "hold.lift"
    DISPUTE_RESOLVE = "dispute.resolve"
    COMPLAINT_HANDLE = "complaint.handle"
    MESSAGE_SEND = "message.send"
    OUTBOX_MANAGE = "outbox.manage"
    TEMPLATE_WRITE = "template.write"
    TEMPLATE_APPROVE = "template.approve"
    PAYMENT_POST = "payment.post"
    STRATEGY_READ = "strategy.read"
    STRATEGY_WRITE = "strategy.write"
    STRATEGY_APPROVE = "strategy.approve"
    ACTION_CONFIRM = "action.confirm"
    SIMULATION_READ = "simulation.read"
    MODEL_READ = "model.read"

    SEE_NATIONAL_ID = "personal.national_id.see"
    SEE_PHONE = "personal.phone.see"
    SEE_EMAIL = "personal.email.see"
    SEE_ADDRESS = "personal.address.see"
    SEE_BIRTH_DATE = "personal.birth_date.see"
    REVEAL_NATIONAL_ID = "personal.national_id.reveal"
    REVEAL_PHONE = "personal.phone.reveal"
    REVEAL_EMAIL = "personal.email.reveal"
    REVEAL_ADDRESS = "personal.address.reveal"
    REVEAL_BIRTH_DATE = "personal.birth_date.reveal"


PERMISSION_NAMES: Mapping[Permission, str] = {
    Permission.CUSTOMER_READ: N_("read customers and their contact points"),
    Permission.ACCOUNT_READ: N_("read accounts, installments, payments and DPD history"),
    Permission.CASE_READ: N_("list and read cases"),
    Permission.CASE_ASSIGN: N_("assign cases to a team and a collector"),
    Permission.VISIT_ASSIGN: N_("assign field visits to field agents"),
    Permission.PLACEMENT_READ: N_("read placements with agencies"),
    Permission.PLACEMENT_WRITE: N_("place accounts with an agency and recall them"),
    Permission.COMPLIANCE_CHECK: N_("ask the compliance gate about a contact or a text"),
    Permission.BATCH_READ: N_("read the nightly batch runs"),
    Permission.PORTFOLIO_READ: N_("read the portfolio summary"),
    Permission.REPORT_READ: N_("read reports (roll rates)"),
    Permission.USER_READ: N_("list users, teams and agencies"),
    Permission.USER_MANAGE: N_("create, disable and change users and their roles"),
    Permission.TEAM_MANAGE: N_("create teams and name their leaders"),
    Permission.AGENCY_MANAGE: N_("create and disable agencies"),
    Permission.AUDIT_READ: N_("read and verify the audit trail"),
    Permission.AUDIT_EXPORT: N_("export the audit trail"),
    Permission.QUEUE_WORK: N_("work one's queues: list them and take the next case"),
    Permission.QUEUE_READ: N_("read queues, their sizes and the assignment rules"),
    Permission.QUEUE_MANAGE: N_(
        "define queues and assignment rules, collectors' skills and capacity, retain cases"
    ),
    Permission.CONTACT_LOG: N_("log contacts and schedule callbacks"),
    Permission.CONTACT_REVIEW: N_("review flagged contacts and notes"),
    Permission.TRANSCRIPT_IMPORT: N_("import call transcripts"),
    Permission.QA_READ: N_("read call transcripts, QA scores and the checker's precision"),
    Permission.PROMISE_TAKE: N_("take promises to pay"),
    Permission.ARRANGEMENT_PROPOSE: N_("propose repayment plans and settlements"),
    Permission.ARRANGEMENT_APPROVE: N_("approve or reject plans and settlements within the role's limits"),
    Permission.HOLD_RECORD: N_("record disputes, complaints and holds"),
    Permission.DISPUTE_RAISE: N_("raise a dispute or a complaint on a case"),
    Permission.PORTAL_USE: N_("use the customer's self-service portal (their own cases only)"),
    Permission.HOLD_LIFT: N_("lift a hold"),
    Permission.DISPUTE_RESOLVE: N_("resolve disputes"),
    Permission.COMPLAINT_HANDLE: N_("own, answer and close complaints"),
    Permission.MESSAGE_SEND: N_("send a customer an SMS, e-mail or letter from an approved template"),
    Permission.OUTBOX_MANAGE: N_("watch the outbox, send a dead message again or cancel a queued one"),
    Permission.TEMPLATE_WRITE: N_("draft message templates"),
    Permission.TEMPLATE_APPROVE: N_("approve or retire message templates (not one's own)"),
    Permission.PAYMENT_POST: N_("post payments as they happen (the core banking system)"),
    Permission.STRATEGY_READ: N_("read strategies, their previews, actions and experiments"),
    Permission.STRATEGY_WRITE: N_("draft strategies and validate and preview them"),
    Permission.STRATEGY_APPROVE: N_("approve, reject or retire strategies (not one's own draft)"),
    Permission.ACTION_CONFIRM: N_(
        "confirm or decline a strategy's field visit, agency placement or legal referral"
    ),
    Permission.SIMULATION_READ: N_("read the recorded simulation runs and their reports"),
    Permission.MODEL_READ: N_("read the model registry: each model's figures, calibration and reliability"),
    Permission.SEE_NATIONAL_ID: N_("see national ids in full"),
    Permission.SEE_PHONE: N_("see phone numbers in full"),
    Permission.SEE_EMAIL: N_("see e-mail addresses in full"),
    Permission.SEE_ADDRESS: N_("see postal addresses in full"),
    Permission.SEE_BIRTH_DATE: N_("see dates of birth in full"),
    Permission.REVEAL_NATIONAL_ID: N_("reveal a national id, with a reason"),
    Permission.REVEAL_PHONE: N_("reveal a phone number, with a reason"),
    Permission.REVEAL_EMAIL: N_("reveal an e-mail address, with a reason"),
    Permission.REVEAL_ADDRESS: N_("reveal a postal address, with a reason"),
    Permission.REVEAL_BIRTH_DATE: N_("reveal a date of birth, with a reason"),
}

SEE: Mapping[PersonalField, Permission] = {
    field: Permission(f"personal.{field}.see") for field in PersonalField
}
REVEAL: Mapping[PersonalField, Permission] = {
    field: Permission(f"personal.{field}.reveal") for field in PersonalField
}


class Scope(StrEnum):
    """Which rows a role sees (applied in the queries)."""

    ALL = "all"
    """Every customer, account and case."""
    TEAM = "team"
    """Cases assigned to the user, and the unassigned cases of the user's team."""
    LED_TEAMS = "led_teams"
    """Cases of the teams the user leads."""
    AGENCY = "agency"
    """Accounts currently placed with the user's agency, their customers and cases."""
    VISITS = "visits"
    """Customers of the field visits assigned to the user."""
    OWN = "own"
    """The customer's own accounts and cases."""
    NONE = "none"
    """No customer data at all."""


_READ = {Permission.CUSTOMER_READ, Permission.ACCOUNT_READ, Permission.CASE_READ}
_REPORTS = {Permission.BATCH_READ, Permission.PORTFOLIO_READ, Permission.REPORT_READ}
_CONTACT_REVEAL = {Permission.REVEAL_PHONE, Permission.REVEAL_EMAIL, Permission.REVEAL_ADDRESS}
_ALL_REVEAL = set(REVEAL.values())
_CASE_WORK = {
    Permission.CONTACT_LOG,
    Permission.PROMISE_TAKE,
    Permission.ARRANGEMENT_PROPOSE,
    Permission.HOLD_RECORD,
    Permission.DISPUTE_RAISE,
}

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(
        _READ
        | _REPORTS
        | {
            Permission.PLACEMENT_READ,
            Permission.USER_READ,
            Permission.USER_MANAGE,
            Permission.TEAM_MANAGE,
            Permission.AGENCY_MANAGE,
            Permission.AUDIT_READ,
            Permission.OUTBOX_MANAGE,
            Permission.SIMULATION_READ,
            Permission.MODEL_READ,
        }
    ),
    Role.SUPERVISOR: frozenset(
        _READ
        | _REPORTS
        | _ALL_REVEAL
        | {
            Permission.CASE_ASSIGN,
            Permission.VISIT_ASSIGN,
            Permission.PLACEMENT_READ,
            Permission.PLACEMENT_WRITE,
            Permission.COMPLIANCE_CHECK,
            Permission.USER_READ,
            Permission.QUEUE_WORK,
            Permission.QUEUE_READ,
            Permission.QUEUE_MANAGE,
            Permission.ARRANGEMENT_APPROVE,
            Permission.HOLD_LIFT,
            Permission.DISPUTE_RESOLVE,
            Permission.COMPLAINT_HANDLE,
            Permission.MESSAGE_SEND,
            Permission.OUTBOX_MANAGE,
            Permission.TEMPLATE_WRITE,
            Permission.STRATEGY_READ,
            Permission.STRATEGY_APPROVE,
            Permission.ACTION_CONFIRM,
            Permission.TRANSCRIPT_IMPORT,
            Permission.QA_READ,
            Permission.SIMULATION_READ,
            Permission.MODEL_READ,
        }
        | _CASE_WORK
    ),
    Role.COLLECTOR: frozenset(
        _READ
        | _CONTACT_REVEAL
        | _CASE_WORK
        | {Permission.COMPLIANCE_CHECK, Permission.QUEUE_WORK, Permission.MESSAGE_SEND}
    ),
    Role.FIELD_AGENT: frozenset(
        _READ
        | {Permission.REVEAL_ADDRESS, Permission.REVEAL_PHONE, Permission.COMPLIANCE_CHECK}
        | {Permission.CONTACT_LOG, Permission.PROMISE_TAKE, Permission.HOLD_RECORD, Permission.DISPUTE_RAISE}
    ),
    Role.AGENCY_USER: frozenset(
        _READ | _CASE_WORK | {Permission.REVEAL_PHONE, Permission.REVEAL_ADDRESS, Permission.COMPLIANCE_CHECK}
    ),
    Role.STRATEGY_ANALYST: frozenset(
        _READ
        | _REPORTS
        | {
            Permission.COMPLIANCE_CHECK,
            Permission.QUEUE_READ,
            Permission.TEMPLATE_WRITE,
            Permission.STRATEGY_READ,
            Permission.STRATEGY_WRITE,
            Permission.SIMULATION_READ,
            Permission.MODEL_READ,
        }
    ),
    Role.COMPLIANCE_OFFICER: frozenset(
        _READ
        | _REPORTS
        | _ALL_REVEAL
        | {
            Permission.PLACEMENT_READ,
            Permission.COMPLIANCE_CHECK,
            Permission.AUDIT_READ,
            Permission.AUDIT_EXPORT,
            Permission.USER_READ,
            Permission.CONTACT_REVIEW,
            Permission.HOLD_RECORD,
            Permission.DISPUTE_RAISE,
            Permission.HOLD_LIFT,
            Permission.DISPUTE_RESOLVE,
            Permission.COMPLAINT_HANDLE,
            Permission.QUEUE_READ,
            Permission.TEMPLATE_APPROVE,
            Permission.STRATEGY_READ,
            Permission.TRANSCRIPT_IMPORT,
            Permission.QA_READ,
            Permission.MODEL_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        _READ
        | _REPORTS
        | {
            Permission.PLACEMENT_READ,
            Permission.COMPLIANCE_CHECK,
            Permission.AUDIT_READ,
            Permission.AUDIT_EXPORT,
            Permission.USER_READ,
            Permission.STRATEGY_READ,
            Permission.QA_READ,
            Permission.SIMULATION_READ,
            Permission.MODEL_READ,
        }
    ),
    # A customer sees their own personal data in full: it is theirs. In the portal they promise,
    # propose a plan (within the customer role's limits in limits.yaml, else to the approvals
    # inbox) and raise a dispute or a complaint, on their own cases only (Scope.OWN); they record
    # no other hold.
    Role.CUSTOMER: frozenset(
        _READ
        | set(SEE.values())
        | {
            Permission.PROMISE_TAKE,
            Permission.ARRANGEMENT_PROPOSE,
            Permission.DISPUTE_RAISE,
            Permission.PORTAL_USE,
        }
    ),
    Role.CORE_SYSTEM: frozenset({Permission.PAYMENT_POST}),
}
"""The access policy. A permission missing here is refused (403) to that role."""

ROLE_SCOPES: Mapping[Role, Scope] = {
    Role.ADMINISTRATOR: Scope.ALL,
    Role.SUPERVISOR: Scope.LED_TEAMS,
    Role.COLLECTOR: Scope.TEAM,
    Role.FIELD_AGENT: Scope.VISITS,
    Role.AGENCY_USER: Scope.AGENCY,
    Role.STRATEGY_ANALYST: Scope.ALL,
    Role.COMPLIANCE_OFFICER: Scope.ALL,
    Role.AUDITOR: Scope.ALL,
    Role.CUSTOMER: Scope.OWN,
    Role.CORE_SYSTEM: Scope.NONE,
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def require(role: Role, permission: Permission) -> None:
    """Nothing when ``role`` holds ``permission``, else a PermissionDeniedError naming it."""
    if not allows(role, permission):
        raise PermissionDeniedError(
            N_("Your role ({role}) does not allow this: {permission} is needed"),
            role=str(role),
            permission=str(permission),
        )
