"""The sandbox identity service's HTML pages (zh-CN and English side by side).

Plain strings with every value escaped: the pages have no script and load nothing.
"""

from __future__ import annotations

from html import escape

TITLE = (
    "电子营业执照（沙箱）· 法定代表人确认 / "
    "Electronic business licence (sandbox) · legal representative confirmation"
)

_STYLE = """
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:40rem;
margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}
h1{font-size:1.25rem}label{display:block;margin:1rem 0 .25rem;font-weight:600}
input[type=text]{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
.buttons{margin-top:1.5rem;display:flex;gap:1rem}
button{padding:.5rem 1.25rem;font-size:1rem}
.error{border:1px solid #cf222e;background:#ffebe9;padding:.75rem;margin:1rem 0}
.note{color:#59636e;font-size:.9rem}
"""

_PROBLEMS = {
    "unknown_client": (
        "未知的接入方。",
        "The client is not registered with this service.",
    ),
    "unknown_redirect_uri": (
        "回调地址未登记，已停止。",
        "The redirect URI is not registered exactly; nothing was sent back.",
    ),
    "bad_form": (
        "提交的表单无效。",
        "The form could not be read.",
    ),
    "unknown_request": (
        "确认请求不存在或已过期，请回到平台重新发起。",
        "This confirmation request is unknown or has expired; start again from the platform.",
    ),
    "not_legal_rep": (
        "统一社会信用代码与法定代表人身份证号码不匹配。",
        "The USCC and the legal representative's ID number do not match a licence.",
    ),
    "no_decision": (
        "请选择确认或拒绝。",
        "Choose approve or deny.",
    ),
    "too_many_attempts": (
        "尝试次数过多，本次请求已作废，请回到平台重新发起。",
        "Too many wrong attempts: this request is void; start again from the platform.",
    ),
}


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(TITLE)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(TITLE)}</h1>{body}</body></html>"
    )


def _problem(problem: str) -> str:
    zh, en = _PROBLEMS[problem]
    return f'<p class="error" role="alert">{escape(zh)}<br><span lang="en">{escape(en)}</span></p>'


def error_page(problem: str) -> str:
    """A page that only says what went wrong (no form, no redirect)."""
    return _page(_problem(problem))


def form_page(
    request_id: str,
    client_id: str,
    uscc: str,
    *,
    problem: str | None = None,
    attempts_left: int | None = None,
) -> str:
    """The confirmation form for one pending request, ``uscc`` prefilled."""
    error = _problem(problem) if problem else ""
    if problem and attempts_left is not None:
        error += f'<p class="note">剩余尝试次数 / attempts left: {attempts_left}</p>'
    return _page(
        f"<p><strong>{escape(client_id)}</strong> 请求确认您是以下企业的法定代表人，"
        "并获取营业执照信息（统一社会信用代码、企业名称、法定代表人姓名、脱敏身份证号码）。<br>"
        f'<span lang="en"><strong>{escape(client_id)}</strong> asks you to confirm that you are '
        "the legal representative of the enterprise below and to share its licence details "
        "(USCC, enterprise name, legal representative's name, masked ID number).</span></p>"
        f"{error}"
        '<form method="post" action="/authorize">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        '<label for="uscc">统一社会信用代码 / Unified social credit code (USCC)</label>'
        f'<input type="text" id="uscc" name="uscc" value="{escape(uscc)}" maxlength="18" '
        'autocomplete="off" spellcheck="false">'
        '<label for="legal_rep_id_number">法定代表人身份证号码 / '
        "Legal representative's resident ID number</label>"
        '<input type="text" id="legal_rep_id_number" name="legal_rep_id_number" value="" '
        'maxlength="18" autocomplete="off" spellcheck="false">'
        '<div class="buttons">'
        '<button type="submit" name="decision" value="approve">确认 / Approve</button>'
        '<button type="submit" name="decision" value="deny">拒绝 / Deny</button>'
        "</div></form>"
        '<p class="note">沙箱服务：数据为模拟数据。/ Sandbox service: simulated data only.</p>'
    )
