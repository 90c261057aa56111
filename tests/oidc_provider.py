"""A small OpenID Connect provider for tests: discovery, JWKS, /authorize, /token.

It runs on a free loopback port in a thread. /authorize has no page: it answers at once with
a code for the identity the test set (``provider.identity``), remembering the nonce and the
PKCE challenge; /token checks the client, the redirect URI and the PKCE verifier, and returns
an ID token signed with ``provider.signing_key`` (the published key unless a test swaps it).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, abort, jsonify, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.serving import make_server

CLIENT_ID = "lms-bridge"
CLIENT_SECRET = "provider-test-secret"
KEY_ID = "test-key"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class OidcProvider:
    """The provider's state, which tests change between sign-ins."""

    issuer: str = ""
    published_key: rsa.RSAPrivateKey = field(default_factory=new_rsa_key)
    signing_key: rsa.RSAPrivateKey | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    def app(self) -> Flask:
        app = Flask("test_oidc_provider")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> ResponseReturnValue:
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                jwks_uri=f"{self.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/jwks")
        def jwks() -> ResponseReturnValue:
            key = jwt.algorithms.RSAAlgorithm.to_jwk(self.published_key.public_key(), as_dict=True)
            return jsonify(keys=[{**key, "kid": KEY_ID, "use": "sig", "alg": "RS256"}])

        @app.get("/authorize")
        def authorize() -> ResponseReturnValue:
            args = request.args
            if (
                args.get("client_id") != CLIENT_ID
                or args.get("response_type") != "code"
                or args.get("code_challenge_method") != "S256"
                or not args.get("code_challenge")
                or "openid" not in args.get("scope", "").split()
            ):
                abort(400)
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "nonce": args.get("nonce"),
                "challenge": args["code_challenge"],
                "redirect_uri": args["redirect_uri"],
                "identity": dict(self.identity),
            }
            query = urlencode({"code": code, "state": args.get("state", "")})
            return redirect(f"{args['redirect_uri']}?{query}")

        @app.post("/token")
        def token() -> ResponseReturnValue:
            self.token_requests += 1
            auth = request.authorization
            if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
                return jsonify(error="invalid_client"), 401
            grant = self.codes.pop(request.form.get("code", ""), None)
            verifier = request.form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                grant is None
                or request.form.get("grant_type") != "authorization_code"
                or request.form.get("redirect_uri") != grant["redirect_uri"]
                or challenge != grant["challenge"]
            ):
                return jsonify(error="invalid_grant"), 400
            now = int(time.time())
            claims = {
                "iss": self.issuer,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
                **grant["identity"],
            }
            id_token = jwt.encode(
                claims,
                self.signing_key or self.published_key,
                algorithm="RS256",
                headers={"kid": KEY_ID},
            )
            return jsonify(
                access_token=secrets.token_urlsafe(16),
                token_type="Bearer",
                expires_in=300,
                id_token=id_token,
            )

        return app


@contextmanager
def running_provider() -> Iterator[OidcProvider]:
    """A provider serving on 127.0.0.1 (a free port) until the block ends."""
    provider = OidcProvider()
    server = make_server("127.0.0.1", 0, provider.app(), threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
