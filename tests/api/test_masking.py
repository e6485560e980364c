"""Personal data in responses, masked by role: every role against the customer and the case page,
expected from the permission table (a field is in full exactly when the role holds its `see`
permission), and the clear values nowhere in a masked response."""

from __future__ import annotations

from arrears.auth.permissions import SEE, Permission, PersonalField, Role, permissions_of
from tests.api.book import ADDRESS, EMAIL, MOBILE, NATIONAL_ID, Book, account_id_of
from tests.api.conftest import Api, Person

MASKED = {
    PersonalField.NATIONAL_ID: "110***********1234",
    PersonalField.BIRTH_DATE: "1990-**-**",
    PersonalField.PHONE: "+86138****5678",
    PersonalField.EMAIL: "z***@example.com",
    PersonalField.ADDRESS: "北京市朝阳区****",
}
FULL = {
    PersonalField.NATIONAL_ID: NATIONAL_ID,
    PersonalField.BIRTH_DATE: "1990-03-07",
    PersonalField.PHONE: MOBILE,
    PersonalField.EMAIL: EMAIL,
    PersonalField.ADDRESS: ADDRESS,
}
CONTACT_TYPES = {
    "mobile": PersonalField.PHONE,
    "email": PersonalField.EMAIL,
    "address": PersonalField.ADDRESS,
}


def callers(api: Api, book: Book) -> dict[Role, Person]:
    """One person of every role, each with K1 in their scope."""
    team = api.team("T1")
    agency = api.agency("AG1")
    people = {
        Role.ADMINISTRATOR: api.person(Role.ADMINISTRATOR),
        Role.SUPERVISOR: api.person(Role.SUPERVISOR),
        Role.COLLECTOR: api.person(Role.COLLECTOR, team_id=team),
        Role.FIELD_AGENT: api.person(Role.FIELD_AGENT, team_id=team),
        Role.AGENCY_USER: api.person(Role.AGENCY_USER, agency_id=agency),
        Role.STRATEGY_ANALYST: api.person(Role.STRATEGY_ANALYST),
        Role.COMPLIANCE_OFFICER: api.person(Role.COMPLIANCE_OFFICER),
        Role.AUDITOR: api.person(Role.AUDITOR),
        Role.CUSTOMER: api.person(Role.CUSTOMER, customer_id="K1"),
        Role.CORE_SYSTEM: api.person(Role.CORE_SYSTEM),
    }
    assert set(people) == set(Role)
    api.lead(people[Role.SUPERVISOR], team)
    book.assign("C-K1-20261101", team, people[Role.COLLECTOR].user_id)
    book.visit("C-K1-20261101", "K1", people[Role.FIELD_AGENT].user_id)
    book.place(account_id_of("K1"), agency)
    return people


def expected(role: Role, field: PersonalField) -> str:
    return FULL[field] if SEE[field] in permissions_of(role) else MASKED[field]


def test_every_role_sees_personal_fields_as_the_permission_table_says(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    masked_somewhere = full_somewhere = False
    for role, person in callers(api, book).items():
        client = api.as_(person)
        customer = client.get("/api/v1/customers/K1")
        case = client.get("/api/v1/cases/C-K1-20261101")
        if Permission.CUSTOMER_READ not in permissions_of(role):  # a machine client posting payments
            assert customer.status_code == case.status_code == 403, role
            assert not any(value in customer.text + case.text for value in FULL.values()), role
            continue
        assert customer.status_code == case.status_code == 200, (role, customer.text, case.text)
        body = customer.json()
        assert body["national_id"] == expected(role, PersonalField.NATIONAL_ID), role
        assert body["birth_date"] == expected(role, PersonalField.BIRTH_DATE), role
        for point in body["contact_points"]:
            field = CONTACT_TYPES[point["type"]]
            assert point["value"] == expected(role, field), (role, point)
            assert point["masked"] is (SEE[field] not in permissions_of(role))
        owner = case.json()["customer"]
        assert owner["national_id"] == expected(role, PersonalField.NATIONAL_ID), role
        assert owner["birth_date"] == expected(role, PersonalField.BIRTH_DATE), role

        hidden = [FULL[f] for f in PersonalField if SEE[f] not in permissions_of(role)]
        for text in (customer.text, case.text):
            for value in hidden:
                assert value not in text, (role, value)
                assert value.replace("+86", "") not in text, (role, value)
        masked_somewhere |= bool(hidden)
        full_somewhere |= len(hidden) < len(PersonalField)
    assert masked_somewhere and full_somewhere  # the table has both kinds of role


def test_masks_keep_what_tells_values_apart(api: Api) -> None:
    book = Book(api.engine)
    book.case("K1")
    body = api.as_(api.person(Role.AUDITOR)).get("/api/v1/customers/K1").json()
    assert body["national_id"] == "110***********1234"
    assert body["birth_date"] == "1990-**-**"
    assert body["masked"] == ["national_id", "birth_date"]
    assert {p["type"]: p["value"] for p in body["contact_points"]} == {
        "mobile": "+86138****5678",
        "email": "z***@example.com",
        "address": "北京市朝阳区****",
    }
    own = api.as_(api.person(Role.CUSTOMER, customer_id="K1")).get("/api/v1/customers/K1").json()
    assert own["national_id"] == NATIONAL_ID
    assert own["masked"] == []
