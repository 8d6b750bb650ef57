"""The ``.h`` namespace by its reference page (code.kx.com/q/ref/doth): each expected text is the
page's own console result, or (where the page's line is cut at the console width) what the page
states the function builds."""

from __future__ import annotations

import pytest

from rdq.qlang import Session
from rdq.qlang._v_extra import install


@pytest.fixture
def q() -> Session:
    s = Session()
    install(s.interp)
    return s


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        (".h.br", '"<br>"'),
        (".h.c0", "`024C7E"),
        (".h.c1", "`958600"),
        (".h.d", '" "'),
        (".h.sb", '"body{font:10pt verdana;text-align:justify}"'),
        (".h.sc", '"$-.+!*\'(),abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789"'),
        (".h.cd ([]a:1 2 3;b:`x`y`z)", '"a,b"\n"1,x"\n"2,y"\n"3,z"'),
        ('.h.cd (`a`b`c;1 2 3;"xyz")', '"a,1,x"\n"b,2,y"\n"c,3,z"'),
        ('.h.code "foo\\tbar"', '"foo <code><nobr>bar</nobr></code>"'),
        (
            '.h.code "foo\\tbar\\tabc\\tdef"',
            '"foo <code><nobr>bar</nobr></code> abc <code><nobr>def</nobr></code>"',
        ),
        ('.h.code "foo"', '"foo"'),
        # the page writes `http://www.example.com; built with `$ here (the symbol literal is the lexer's)
        (
            '.h.ha[`$"http://www.example.com";"Example.com Main Page"]',
            '"<a href=http://www.example.com>Example.com Main Page</a>"',
        ),
        (
            '.h.ha["http://www.example.com";"Example.com Main Page"]',
            '"<a href=\\"http://www.example.com\\">Example.com Main Page</a>"',
        ),
        (
            '.h.hb["http://www.example.com";"Example.com Main Page"]',
            '"<a target=v href=\\"http://www.example.com\\">Example.com Main Page</a>"',
        ),
        ('.h.hc "<foo>"', '"&lt;foo>"'),
        ('.h.hr "foo"', '"---"'),
        (
            '.h.hta[`a;(`href`target)!("http://www.example.com";"_blank")]',
            '"<a href=\\"http://www.example.com\\" target=\\"_blank\\">"',
        ),
        (
            '.h.htac[`a;(`href`target)!("http://www.example.com";"_blank");"Example.com Main Page"]',
            '"<a href=\\"http://www.example.com\\" target=\\"_blank\\">Example.com Main Page</a>"',
        ),
        ('.h.htc[`tag;"value"]', '"<tag>value</tag>"'),
        ('.h.hu "http://www.kx.com"', '"http%3a%2f%2fwww.kx.com"'),
        ('.h.uh "http%3a%2f%2fwww.kx.com"', '"http://www.kx.com"'),
        (".h.iso8601 100", '"2000-01-01T00:00:00.000000100"'),
        ('.h.nbr "foo bar"', '"<nobr>foo bar</nobr>"'),
        ('.h.pre("foo";"bar")', '"<pre>foo\\nbar\\n</pre>"'),
        (".h.td ([]a:1 2 3;b:`x`y`z)", '"a\\tb"\n"1\\tx"\n"2\\ty"\n"3\\tz"'),
        ('.h.text("foo";"bar")', '"<p>foo</p>\\n<p>bar</p>\\n"'),
        (
            ".h.xd ([]a:1 2 3;b:`x`y`z)",
            '"<R>"\n"<r><a>1</a><b>x</b></r>"\n"<r><a>2</a><b>y</b></r>"\n"<r><a>3</a><b>z</b></r>"\n"</R>"',
        ),
        ('.h.xmp("foo";"bar")', '"<xmp>foo\\nbar\\n</xmp>"'),
        ('.h.xs "Arthur & Co."', '"Arthur &amp; Co."'),
        (".h.ty`csv", '"text/comma-separated-values"'),
        (".h.ty`txt", '"text/plain"'),
        ('first .h.xt[`json;("{\\"foo\\":\\"bar\\"}";"{\\"this\\":\\"that\\"}")]', 'foo| "bar"'),
        (".h.tx[`json] ([] 0 1)", '"{\\"x\\":0}"\n"{\\"x\\":1}"'),
        ('(.h.hug "abc") "abcd/"', '"abc%64%2f"'),
        (".h.ka 0i", '"close"'),
        (".h.ka 1000i", '"keep-alive"'),
    ],
)
def test_doth(q: Session, src: str, expected: str) -> None:
    assert q.display(src) == expected


def test_cd_nested_items_use_h_d(q: Session) -> None:
    # doth.md: columns can be nested vectors, joined by .h.d (default " ")
    q.display('t:([a:til 3]b:3 3#"abc";c:3 3#1 2 3)')
    assert q.display(".h.cd t") == '"a,b,c"\n"0,a b c,1 2 3"\n"1,a b c,1 2 3"\n"2,a b c,1 2 3"'
    q.display('.h.d:"*"')
    assert q.display(".h.cd t") == '"a,b,c"\n"0,a*b*c,1*2*3"\n"1,a*b*c,1*2*3"\n"2,a*b*c,1*2*3"'


def test_http_responses(q: Session) -> None:
    body = "Not found: favicon.ico"
    r = q.eval('.h.hn["404";`txt;"Not found: favicon.ico"]')
    assert bytes(r.a).decode() == (
        "HTTP/1.1 404\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    )
    r = q.eval('.h.he "<rubbish>"')
    assert (
        bytes(r.a)
        .decode()
        .startswith("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n")
    )
    assert bytes(r.a).decode().endswith("\r\n\r\n'&lt;rubbish>")
    r = q.eval('.h.hy[`json;"[1]"]')
    assert bytes(r.a).decode() == (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 3\r\n\r\n[1]"
    )


def test_hp_content_length(q: Session) -> None:
    # doth.md: five lines of 29 characters give Content-Length: 257
    r = q.eval('.h.hp 5#enlist "89 97 11 99 33 77 98 30 22 15"')
    text = bytes(r.a).decode()
    assert "Content-Length: 257\r\n" in text
    assert text.endswith("</pre></body></html>")


def test_html_document(q: Session) -> None:
    r = q.eval('.h.html "<p>Hello world!</p>"')
    assert bytes(r.a).decode() == (
        "<html><head><style>a{text-decoration:none}a:link{color:024C7E}a:visited{color:024C7E}"
        "a:active{color:958600}body{font:10pt verdana;text-align:justify}</style></head><body>"
        "<p>Hello world!</p></body></html>"
    )


def test_http_links(q: Session) -> None:
    r = q.eval('.h.http "The main page is http://www.example.com"')
    assert bytes(r.a).decode() == (
        'The main page is <a href="http://www.example.com">http://www.example.com</a>'
    )


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        # the page's console lines, cut at q's default console width (\c 25 80)
        (
            '.h.he "<rubbish>"',
            '"HTTP/1.1 400 Bad Request\\r\\nContent-Type: text/plain\\r\\nConnection: close\\r\\..',
        ),
        (
            '.h.hn["404";`txt;"Not found: favicon.ico"]',
            '"HTTP/1.1 404\\r\\nContent-Type: text/plain\\r\\nConnection: close\\r\\nContent-Len..',
        ),
        (
            '.h.html "<p>Hello world!</p>"',
            '"<html><head><style>a{text-decoration:none}a:link{color:024C7E}a:visited{colo..',
        ),
        (
            '.h.htac[`a;(`href`target)!("http://www.example.com";"_blank");"Example.com Main Page"]',
            '"<a href=\\"http://www.example.com\\" target=\\"_blank\\">Example.com Main Page</..',
        ),
        (
            '.h.http "The main page is http://www.example.com"',
            '"The main page is <a href=\\"http://www.example.com\\">http://www.example.com</..',
        ),
        (".h.sa", '"a{text-decoration:none}a:link{color:024C7E}a:visited{color:024C7E}a:active{c..'),
    ],
)
def test_doth_console_lines(q: Session, src: str, expected: str) -> None:
    from rdq.qlang._format import DEFAULT_CONSOLE

    q.console = DEFAULT_CONSOLE  # what \c 25 80 sets: the reference's console
    try:
        assert q.display(src) == expected
    finally:
        q.console = None
