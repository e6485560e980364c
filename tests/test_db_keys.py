"""Many keys as one bound value (arrears.db.keys.one_of): the rows of exactly those keys, on SQLite
and PostgreSQL, past SQLite's limit of bound variables, with quotes and non-ASCII in the keys."""

from sqlalchemy import Engine, insert, select

from arrears.db.keys import one_of
from arrears.portfolio.models import Customer


def test_one_of_finds_exactly_the_rows_of_the_keys_given(engine: Engine) -> None:
    ids = [f"C{n:06d}" for n in range(40_000)] + ["O'Brien", "张伟"]
    with engine.begin() as connection:
        connection.execute(insert(Customer), [{"customer_id": i, "name": "x"} for i in ids])
        wanted = [*ids[::3], "O'Brien", "张伟", "nobody"]
        found = connection.execute(
            select(Customer.customer_id).where(one_of(Customer.customer_id, wanted, connection.dialect.name))
        ).scalars()
        assert sorted(found) == sorted(set(wanted) - {"nobody"})
        none = connection.execute(
            select(Customer.customer_id).where(one_of(Customer.customer_id, [], connection.dialect.name))
        ).all()
        assert none == []
