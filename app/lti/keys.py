"""The tool's own RSA keys (RS256): generated on first use, stored in the store (PEM), rotated
on an admin's command, and published as a JWKS — every unretired key, so that a token signed
just before a rotation still verifies. The newest unretired key signs.

Platforms use the JWKS to verify the tool's deep-linking responses and its client assertions
(the OAuth 2 JWT grant of AGS); the tool verifies its own short-lived tokens (the deep-linking
choice form) with the same keys.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeyParameters, KeySet, RSAKey
from sqlalchemy import insert, select, update

from app.classroom.tokens import new_id
from app.store import Store
from app.store.models import lti_tool_keys

KEY_BITS = 2048
ALG = "RS256"


def _parameters(kid: str) -> KeyParameters:
    return {"kid": kid, "use": "sig", "alg": ALG}


class ToolKeys:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cache: list[RSAKey] | None = None

    def _rows(self) -> list[Any]:
        with self.store.reading() as conn:
            return list(
                conn.execute(
                    select(lti_tool_keys.c.kid, lti_tool_keys.c.private_pem)
                    .where(lti_tool_keys.c.retired_at.is_(None))
                    .order_by(lti_tool_keys.c.created_at.desc())
                ).all()
            )

    def _load(self) -> list[RSAKey]:
        """The unretired keys, newest first (one is made when there is none)."""
        with self._lock:
            if not self._cache:
                rows = self._rows()
                if not rows:
                    self._add()
                    rows = self._rows()
                self._cache = [RSAKey.import_key(r.private_pem, _parameters(r.kid)) for r in rows]
            return self._cache

    def _add(self) -> str:
        kid = new_id()
        key = RSAKey.generate_key(KEY_BITS, parameters=_parameters(kid), private=True)
        pem = key.as_pem(private=True)
        with self.store.transaction() as conn:
            conn.execute(
                insert(lti_tool_keys).values(
                    kid=kid,
                    private_pem=pem.decode() if isinstance(pem, bytes) else pem,
                    created_at=datetime.now(UTC),
                    retired_at=None,
                )
            )
        return kid

    def rotate(self, keep: int = 1) -> str:
        """A new signing key; of the older ones the newest ``keep`` stay published (so tokens
        in flight verify), the rest are retired. Returns the new key's id."""
        kid = self._add()
        with self.store.transaction() as conn:
            older = conn.execute(
                select(lti_tool_keys.c.kid)
                .where(lti_tool_keys.c.retired_at.is_(None), lti_tool_keys.c.kid != kid)
                .order_by(lti_tool_keys.c.created_at.desc())
            ).scalars()
            retire = list(older)[keep:]
            if retire:
                conn.execute(
                    update(lti_tool_keys)
                    .where(lti_tool_keys.c.kid.in_(retire))
                    .values(retired_at=datetime.now(UTC))
                )
        self.forget()
        return kid

    def forget(self) -> None:
        """Read the keys again next time (after a rotation by another process)."""
        with self._lock:
            self._cache = None

    def jwks(self) -> dict[str, Any]:
        """The public keys, as a JWK Set (RFC 7517 §5)."""
        return {"keys": [k.as_dict(private=False) for k in self._load()]}

    def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` as a JWT signed RS256 with the newest key (its ``kid`` in the header)."""
        key = self._load()[0]
        return jwt.encode({"alg": ALG, "kid": key.kid, "typ": "JWT"}, claims, key)

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this tool signed, or None (not the tool's, or tampered)."""
        try:
            keys = KeySet([RSAKey.import_key(k.as_dict(private=False)) for k in self._load()])
            return dict(jwt.decode(token, keys, algorithms=[ALG]).claims)
        except (JoseError, ValueError):
            return None
