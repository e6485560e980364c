"""The web interface: server-rendered pages (FastAPI + Jinja2) on the same services as the API.

A way in like the API: a page declares its access with a page twin of the API's declarations
(``arrears.api.access``: ``page_public``, ``page_signed_in``, ``page_requires``), calls the same
service functions in the request's unit of work, and renders a template. Nothing is decided only
in a page. See docs/web.md.
"""
