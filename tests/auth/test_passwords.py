"""The password policy and argon2id hashing, without a database."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from arrears.auth import passwords
from arrears.auth.passwords import WeakPasswordError, check_policy, hash_password, needs_rehash, verify


def test_hashes_are_argon2id_salted_and_verify() -> None:
    first, second = hash_password("a long enough secret"), hash_password("a long enough secret")
    assert first.startswith("$argon2id$v=19$") and second.startswith("$argon2id$")
    assert first != second  # salted afresh
    assert verify(first, "a long enough secret")
    assert not verify(first, "a long enough secreT")
    assert not verify("not a hash at all", "a long enough secret")
    assert not verify(None, "a long enough secret")  # a dummy hash is checked, never a match


def test_a_hash_made_with_other_parameters_needs_rehash() -> None:
    older = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash("a long secret")
    assert verify(older, "a long secret")
    assert needs_rehash(older)
    assert not needs_rehash(hash_password("a long secret"))
    assert needs_rehash("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")  # argon2i, not argon2id


@pytest.mark.parametrize(
    ("password", "username", "english", "chinese"),
    [
        ("short-9chr", "li.na", "at least 12 characters", "12"),
        ("QWERTY123456", "li.na", "common passwords", "常见密码"),
        ("1qaz2wsx3edc", "li.na", "common passwords", "常见密码"),
        ("Zhang.Wei.2026", "zhang.wei.2026", "must not be the user name", "用户名"),
        ("x" * 1025, "li.na", "at most 1024 characters", "1024"),
    ],
)
def test_the_policy_refuses_in_both_languages_without_repeating_the_password(
    password: str, username: str, english: str, chinese: str
) -> None:
    with pytest.raises(WeakPasswordError) as refused:
        check_policy(password, username)
    messages = refused.value.messages()
    assert english in messages["en"]
    assert chinese in messages["zh-CN"] and messages["zh-CN"] != messages["en"]
    assert refused.value.http_status == 400 and refused.value.exit_code == 2
    assert all(password not in text for text in messages.values())


def test_a_long_uncommon_password_passes_and_the_common_list_is_zxcvbns() -> None:
    check_policy("correct horse battery staple 7", "li.na")
    check_policy("十二个汉字也是一个足够长的密码", "li.na")  # characters, not bytes, are counted
    assert "qwerty123456" in passwords._common() and len(passwords._common()) > 10_000
