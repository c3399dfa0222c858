"""The helpers that hide a URL's password and a header's credentials wherever they are shown."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from wsconsole.client.options import ConnectOptions, parse_proxy_url
from wsconsole.client.urls import parse_ws_url
from wsconsole.errors import InvalidUrlError
from wsconsole.text.redact import (
    REDACTED,
    password_is_hidden,
    redact_header_value,
    redact_headers,
    redact_message,
    redact_url,
    redact_urls_in_text,
    strip_url_password,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ws://alice:s3cret@127.0.0.1:8765/chat", "ws://alice:***@127.0.0.1:8765/chat"),
        ("wss://alice:s3cret@example.test/", "wss://alice:***@example.test/"),
        ("ws://alice:s3cret@example.test", "ws://alice:***@example.test"),
        # An @ in the path, query or fragment is not user info (RFC 3986 section 3.2).
        ("ws://alice:s3cret@host/a@b:c", "ws://alice:***@host/a@b:c"),
        ("ws://alice:s3cret@host/?next=bob:pw@evil", "ws://alice:***@host/?next=bob:pw@evil"),
        ("ws://alice:s3cret@host#frag:x@y", "ws://alice:***@host#frag:x@y"),
        ("ws://host/a@b:c", "ws://host/a@b:c"),
        ("ws://host/?u=bob:pw@evil", "ws://host/?u=bob:pw@evil"),
        ("ws://host?u=bob:pw@evil", "ws://host?u=bob:pw@evil"),
        # IPv6 hosts: the colons of the address are not the password's.
        ("ws://alice:s3cret@[::1]:8765/chat", "ws://alice:***@[::1]:8765/chat"),
        ("ws://[::1]:8765/chat", "ws://[::1]:8765/chat"),
        ("ws://[fe80::1%25eth0]:80/", "ws://[fe80::1%25eth0]:80/"),
        # No password, or an empty one: nothing to hide.
        ("ws://alice@host:80/", "ws://alice@host:80/"),
        ("ws://alice:@host:80/", "ws://alice:@host:80/"),
        ("ws://127.0.0.1:9080/", "ws://127.0.0.1:9080/"),
        # Percent-encoded characters are kept as written in the user, hidden in the password.
        ("ws://al%40ice:p%40ss%3Aw0rd@host/", "ws://al%40ice:***@host/"),
        ("ws://al%20ice:caf%C3%A9@host/caf%C3%A9", "ws://al%20ice:***@host/caf%C3%A9"),
        # A raw @ or : in the password: urlsplit splits at the last @ and first :, so do we.
        ("ws://alice:p@ss@host/", "ws://alice:***@host/"),
        ("ws://alice:a:b:c@host/", "ws://alice:***@host/"),
        # Proxy URLs.
        ("http://bob:hunter2@127.0.0.1:3128", "http://bob:***@127.0.0.1:3128"),
        ("socks5h://bob:hunter2@[::1]:1080", "socks5h://bob:***@[::1]:1080"),
        # Text urlsplit refuses or misreads, as a user may type it.
        ("ws://alice:s3cret@[::1/", "ws://alice:***@[::1/"),
        ("ws://alice:my secret@host/", "ws://alice:***@host/"),
        ("ws:/alice:s3cret@host/", "ws:/alice:***@host/"),
        ("alice:s3cret@host:80/", "alice:***@host:80/"),
        ("", ""),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ws://alice:s3cret@127.0.0.1:8765/chat?x=1#f",
        "ws://alice:s3cret@[::1]:8765/",
        "ws://al%40ice:p%40ss@host/",
        "ws://alice:p@ss@host/a@b",
        "wss://alice:s3cret@example.test",
    ],
)
def test_redact_url_keeps_what_urlsplit_reads_except_the_password(url):
    """The host, port, user, path, query and fragment a connection would use are untouched."""
    before, after = urlsplit(url), urlsplit(redact_url(url))
    assert after.password == REDACTED
    assert (after.scheme, after.hostname, after.port, after.username, after.path, after.query, after.fragment) == (
        before.scheme,
        before.hostname,
        before.port,
        before.username,
        before.path,
        before.query,
        before.fragment,
    )


def test_redact_urls_in_text():
    text = "CLOSED → CONNECTING  ws://alice:s3cret@127.0.0.1:8765/chat, then 'http://bob:pw@proxy:3128'"
    assert redact_urls_in_text(text) == (
        "CLOSED → CONNECTING  ws://alice:***@127.0.0.1:8765/chat, then 'http://bob:***@proxy:3128'"
    )
    plain = "CLOSED → CONNECTING  ws://127.0.0.1:8765/chat (mail bob@example.test)"
    assert redact_urls_in_text(plain) == plain


def test_redact_message_of_an_invalid_url():
    url = "ws://alice:s3cret@127.0.0.1:99999/"
    with pytest.raises(InvalidUrlError) as caught:
        parse_ws_url(url)
    assert "s3cret" in str(caught.value)  # the exception keeps its data: the display hides it
    shown = redact_message(str(caught.value), url)
    assert "s3cret" not in shown
    assert "ws://alice:***@127.0.0.1:99999/" in shown and "bad port" in shown


@pytest.mark.parametrize(
    "url",
    [
        "ws://alice:my secret@host/",  # whitespace: the URL as given is quoted whole
        "ws://alice:it's@host:99999/",  # a quote: repr() escapes differently
        "alice:s3cret@host/",  # no scheme
        "ws://alice:s3cret@",  # no host
    ],
)
def test_redact_message_of_every_refused_url(url):
    with pytest.raises(InvalidUrlError) as caught:
        parse_ws_url(url)
    secret = url.split(":", 2)[-1].rsplit("@", 1)[0] if url.startswith("ws") else "s3cret"
    shown = redact_message(str(caught.value), url)
    assert secret not in shown, shown
    assert REDACTED in shown


def test_redact_message_quoting_only_the_user_info():
    url = "ws://alice:s3cret@host/"
    assert redact_message("netloc 'alice:s3cret@host' is odd", url) == "netloc 'alice:***@host' is odd"
    assert redact_message("no URL here", url) == "no URL here"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Authorization", "Basic YWxpY2U6czNjcmV0", "Basic ***"),
        ("authorization", "Bearer abc.def.ghi", "Bearer ***"),
        ("Proxy-Authorization", "Basic Ym9iOnB3", "Basic ***"),
        ("AUTHORIZATION", "Digest username=\"a\", response=\"x\"", "Digest ***"),
        ("Authorization", "s3cr3t-token", REDACTED),
        ("Authorization", "", ""),
        # Cookies are credentials too (a session cookie opens the account); their names stay.
        ("Cookie", "session=abc", "session=***"),
        ("cookie", "session=abc;theme=dark ;  lang=fr", "session=***; theme=***; lang=***"),
        ("Cookie", "a=; b=2;", "a=; b=***"),  # an empty value hides nothing; a trailing ';' is dropped
        ("Cookie", "nameless", REDACTED),  # RFC 6265bis: a cookie with no name is its value alone
        ("Cookie", "tok=a=b==", "tok=***"),  # base64 in a value: the value starts at the first '='
        ("Set-Cookie", "session=abc; Path=/; HttpOnly; SameSite=Lax", "session=***; Path=/; HttpOnly; SameSite=Lax"),
        ("set-cookie", "id=42", "id=***"),
        ("Set-Cookie", "gone=; Max-Age=0", "gone=; Max-Age=0"),
        ("Cookie", "", ""),
        ("X-Cookie-Note", "session=abc", "session=abc"),  # only the two cookie headers
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ=="),
    ],
)
def test_redact_header_value(name, value, expected):
    assert redact_header_value(name, value) == expected


def test_redact_headers_keeps_order_and_repeats():
    headers = [("Host", "h"), ("Authorization", "Basic eA=="), ("X-A", "1"), ("Authorization", "Bearer t")]
    assert redact_headers(headers) == [
        ("Host", "h"),
        ("Authorization", "Basic ***"),
        ("X-A", "1"),
        ("Authorization", "Bearer ***"),
    ]


@pytest.mark.parametrize(
    "proxy",
    [
        "http://bob:hunter2@127.0.0.1",  # no port
        "ftp://bob:hunter2@127.0.0.1:21",  # scheme
        "http://bob:hunter2@127.0.0.1:3128/path",  # a path
        "http://bob:hunter2@127.0.0.1:99999",  # port out of range
        "bob:hunter2@127.0.0.1:3128",  # no scheme
        "http://bob:hunter2@[::1:3128",  # urlsplit refuses it
    ],
)
def test_proxy_url_errors_hide_the_password(proxy):
    with pytest.raises(ValueError) as caught:
        parse_proxy_url(proxy)
    assert "hunter2" not in str(caught.value)
    assert "bob" in str(caught.value) or "no scheme" in str(caught.value)
    problems = ConnectOptions(proxy=proxy).validate()
    assert "hunter2" not in repr(problems)


def test_proxy_url_still_parsed_with_its_password():
    address = parse_proxy_url("http://bob:hunter%32@127.0.0.1:3128")
    assert (address.user, address.password) == ("bob", "hunter2")


def test_a_hidden_password_is_known_and_can_be_left_out() -> None:
    shown = redact_url("ws://alice:s3cret@host:1/chat")
    assert password_is_hidden(shown)
    assert not password_is_hidden("ws://alice:s3cret@host:1/chat")
    assert not password_is_hidden("ws://host/a:***@b")  # in the path, not a password
    assert strip_url_password(shown) == "ws://alice@host:1/chat"
    assert strip_url_password("ws://host/") == "ws://host/"
