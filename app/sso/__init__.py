"""Teachers' single sign-on: OpenID Connect (authorization code flow with PKCE) with any
provider named by its discovery URL (``BPP_OIDC_*``). Authlib builds the authorization request
and does the token request; joserfc verifies the id_token against the provider's JWKS.

- ``provider``: the discovery document, the login's request, the code exchanged for a person.
- ``teachers``: who may sign in (verified e-mail in an allowed domain or list), and the
  teacher account each person is (made on first sign-in).
- ``routes``: ``GET /login/sso`` and ``GET /login/sso/callback``.

Password accounts stay for small installs.
"""
