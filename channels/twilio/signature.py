"""Reading a Twilio webhook safely: size limit, form decoding, and the X-Twilio-Signature check.

Twilio signs the full public URL it called (PUBLIC_BASE_URL + path + query) and the POSTed form fields
with the account's auth token. Behind a proxy the app sees another address, so the public one is configured.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from twilio.request_validator import RequestValidator

# Twilio's own webhook bodies are a few kilobytes; anything much larger is not from Twilio.
MAX_BODY_BYTES = 64 * 1024


class TwilioVerifier:
    def __init__(self, auth_token: str, public_base_url: str) -> None:
        self._validator = RequestValidator(auth_token)
        self._public_base_url = public_base_url.rstrip("/")

    def public_url(self, request: Request) -> str:
        query = request.url.query
        return self._public_base_url + request.url.path + (f"?{query}" if query else "")

    async def form(self, request: Request) -> dict[str, str]:
        """The verified form fields. 413 for an oversized body, 400 for one that is not a UTF-8 form,
        403 for a missing or wrong signature. Nothing is stored or answered before this returns."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="request body too large")
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY_BYTES:
                raise HTTPException(status_code=413, detail="request body too large")
        signature = request.headers.get("x-twilio-signature", "")
        if not signature:
            raise HTTPException(status_code=403, detail="missing X-Twilio-Signature")
        try:
            text = bytes(body).decode("utf-8")
            fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
        except (UnicodeDecodeError, ValueError) as exc:
            raise HTTPException(status_code=400, detail="body is not a UTF-8 form") from exc
        if not self._validator.validate(self.public_url(request), fields, signature):
            raise HTTPException(status_code=403, detail="invalid X-Twilio-Signature")
        return fields


def sign(auth_token: str, url: str, fields: dict[str, str]) -> str:
    """The signature Twilio would send for this request (for tests and local tools)."""
    return str(RequestValidator(auth_token).compute_signature(url, fields))
