"""A small bilingual landing page until the portals arrive."""

from __future__ import annotations

from litestar import MediaType, get

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>信易贷 Xinyidai</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:44rem;
margin:3rem auto;padding:0 1rem;color:#1f2d3d}h1{color:#c0392b}a{color:#1d5fa8}
code{background:#f2f4f7;padding:.1rem .3rem}</style></head><body>
<h1>信易贷 · Xinyidai</h1>
<p>中小微企业信用融资服务平台 — a credit-first financing platform for SMEs.</p>
<ul>
<li><a href="/schema">API 文档 / API documentation</a> (<code>/schema/openapi.json</code>)</li>
<li><a href="/health/ready">就绪检查 / readiness</a></li>
</ul>
<p>登录 / Log in: <code>POST /api/v1/auth/login</code></p>
</body></html>"""


@get("/", media_type=MediaType.HTML, include_in_schema=False, sync_to_thread=False)
def home() -> str:
    return _PAGE
