"""``docs/access.md``, generated from the code: ``python -m arrears.api.accessdoc > docs/access.md``
(or ``make access-doc``).

It holds the roles and their scopes, the permission table (:data:`ROLE_PERMISSIONS`), which
personal fields each role sees in full or may reveal, and every route of the app with the access
it declares, in English and Chinese. The output is sorted, so the same code always writes the
same page; ``tests/api/test_route_matrix.py`` fails when the committed page differs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

from arrears.api.access import Access, Endpoint, declared_access, endpoints
from arrears.auth.permissions import (
    PERMISSION_NAMES,
    REVEAL,
    ROLE_NAMES,
    ROLE_PERMISSIONS,
    ROLE_SCOPES,
    SEE,
    Permission,
    PersonalField,
    Role,
    Scope,
)
from arrears.i18n import N_, translate

COMMAND = "python -m arrears.api.accessdoc > docs/access.md"

SCOPE_WORDS: Mapping[Scope, str] = {
    Scope.ALL: N_("every customer, account and case"),
    Scope.TEAM: N_("the cases assigned to them and the unassigned cases of their team"),
    Scope.LED_TEAMS: N_("the cases of the teams they lead"),
    Scope.AGENCY: N_(
        "the accounts currently placed with their agency, and those accounts' customers and cases"
    ),
    Scope.VISITS: N_("the customers of the field visits assigned to them"),
    Scope.OWN: N_("their own accounts and cases"),
    Scope.NONE: N_("no customer data"),
}
"""Which rows a scope lets a role see, in words (the filters are in arrears/cases/scope.py)."""

FIELD_NAMES: Mapping[PersonalField, str] = {
    PersonalField.NATIONAL_ID: N_("national id"),
    PersonalField.PHONE: N_("phone numbers"),
    PersonalField.EMAIL: N_("e-mail addresses"),
    PersonalField.ADDRESS: N_("postal addresses"),
    PersonalField.BIRTH_DATE: N_("date of birth"),
}

ACCESS_WORDS = {
    "public": N_("public (no credential)"),
    "signed_in": N_("anyone signed in"),
}


def _both(message: str) -> tuple[str, str]:
    return translate(message, "en"), translate(message, "zh-CN")


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    cells = list(header)
    lines = ["| " + " | ".join(cells) + " |", "|" + " --- |" * len(cells)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _roles(roles: Iterable[Role]) -> str:
    return ", ".join(f"`{role}`" for role in roles) or "—"


def describe_access(declared: list[Access]) -> str:
    """A route's access as the page says it: public, anyone signed in, or the permission."""
    if len(declared) != 1:
        return "**" + (", ".join(a.kind for a in declared) or "none declared") + "** (refused by the tests)"
    access = declared[0]
    if access.permission is not None:
        return f"`{access.permission}`"
    english, chinese = _both(ACCESS_WORDS[access.kind])
    return f"{english} · {chinese}"


def _what(route: Endpoint) -> str:
    """The first sentence of the route's docstring, else its name in words."""
    paragraph = " ".join((getattr(route.route, "description", "") or "").strip().split("\n\n")[0].split())
    sentence = paragraph.split(". ")[0].rstrip(".") if paragraph else ""
    if not sentence:
        sentence = str(getattr(route.route, "name", "")).replace("_", " ").capitalize()
    return sentence.replace("``", "`")


def _holders(declared: list[Access]) -> str:
    if len(declared) != 1:
        return "—"
    permission = declared[0].permission
    if permission is None:
        return "all 全部" if declared[0].kind == "signed_in" else "anyone 任何人"
    return _roles(role for role in Role if permission in ROLE_PERMISSIONS[role])


def _route_rows(routes: list[Endpoint]) -> list[list[str]]:
    rows = []
    for route in routes:
        if route.is_api or route.is_page:
            declared, what = declared_access(route.dependant), _what(route)
        else:
            declared, what = [Access("public")], "static files"
        for method in sorted(route.methods or {"GET"}):
            rows.append(
                (
                    route.path,
                    method,
                    [describe_access(declared), _holders(declared), what.replace("|", "\\|")],
                )
            )
    return [[method, f"`{path}`", *rest] for path, method, rest in sorted(rows, key=lambda row: row[:2])]


def render(routes: list[Endpoint] | None = None) -> str:
    """The whole page (Markdown), deterministic: the same code writes the same text."""
    if routes is None:
        routes = _app_routes()
    roles = list(Role)
    lines = [
        "# Who may do what 权限",
        "",
        f"<!-- Generated from the code by `{COMMAND}` (`make access-doc`). Do not edit by hand:",
        "     tests/api/test_route_matrix.py fails when this page differs from what the code writes. -->",
        "",
        "The access policy of Arrears, as the code enforces it: the roles and the rows each sees",
        "(its scope, applied inside the queries), the one table of permissions each role holds",
        "(`arrears/auth/permissions.py`), which personal fields each role sees in full or may",
        "reveal with a stated reason, and every route of the API with the access it declares. A",
        "permission a role does not hold is refused with 403; an object outside the caller's",
        "scope answers 404, exactly as one that does not exist.",
        "",
        "Arrears 的访问策略（由代码生成）：角色及其数据范围、角色与权限的对照表、各角色可完整查看或",
        "可说明理由后查看的个人信息，以及每个接口所要求的权限。",
        "",
        "## Roles and scopes 角色与数据范围",
        "",
    ]
    lines += _table(
        ["role", "name", "名称", "scope", "sees", "可见范围"],
        (
            [
                f"`{role}`",
                *_both(ROLE_NAMES[role]),
                f"`{ROLE_SCOPES[role]}`",
                *_both(SCOPE_WORDS[ROLE_SCOPES[role]]),
            ]
            for role in roles
        ),
    )
    lines += ["", "## Permissions 权限", "", "✓: the role holds the permission. 角色拥有该权限。", ""]
    lines += _table(
        ["permission", "allows", "允许", *(f"`{role}`" for role in roles)],
        (
            [
                f"`{permission}`",
                *_both(PERMISSION_NAMES[permission]),
                *("✓" if permission in ROLE_PERMISSIONS[role] else "" for role in roles),
            ]
            for permission in sorted(Permission, key=str)
        ),
    )
    lines += [
        "",
        "## Personal data 个人信息",
        "",
        "Masked in every response, export and log line unless the role sees the field in full;",
        "a role that may reveal it gets the value from `POST …/reveal` with a reason, audited and",
        "counted against a daily cap. 除非角色可完整查看，个人信息在所有响应、导出和日志中均脱敏；",
        "可查看的角色须说明理由，每次查看均记入审计并受每日上限约束。",
        "",
    ]
    lines += _table(
        ["field", "name", "名称", "seen in full by 完整可见", "may reveal 可申请查看"],
        (
            [
                f"`{field}`",
                *_both(FIELD_NAMES[field]),
                _roles(r for r in roles if SEE[field] in ROLE_PERMISSIONS[r]),
                _roles(r for r in roles if REVEAL[field] in ROLE_PERMISSIONS[r]),
            ]
            for field in PersonalField
        ),
    )
    lines += ["", "## Routes 接口", ""]
    lines += _table(["method", "path", "access 访问", "roles 角色", "what"], _route_rows(routes))
    lines.append("")
    return "\n".join(lines)


def _app_routes() -> list[Endpoint]:
    from arrears.api.app import create_app
    from arrears.config import Settings

    settings = Settings(database_url="sqlite://", environment="local", language="en")
    return endpoints(create_app(settings))


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
