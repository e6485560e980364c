"""What every provider callback route shares: its body, once its signature is checked
(:mod:`arrears.channels.signed`)."""

from __future__ import annotations

from fastapi import Request

from arrears.channels import signed


async def signed_body(request: Request) -> bytes:
    """The request's body, once its signature is checked (400 before anything else when not)."""
    body = await request.body()
    secret = request.app.state.context.settings.channel_callback_secret
    signed.verify(body, request.headers.get(signed.SIGNATURE_HEADER), secret)
    return body
