"""LTI 1.3 (1EdTech): the playground as a tool inside a course of Canvas, Moodle, Blackboard...

The protocol's JOSE work (RS256 signatures, JWKS) is joserfc's; what LTI asks of a tool is
written here, one module per job:

- ``claims``: the LTI claim names, and every check an id_token's claims must pass.
- ``platforms``: platforms registered by an admin (issuer, client id, deployments, URLs).
- ``keys``: the tool's own RSA keys — generated, stored, rotated, published as a JWKS.
- ``jwks``: the platforms' public keys, fetched over HTTP (off the event loop) and cached.
- ``oidc``: the OIDC third-party login initiation: state and nonce, the redirect to the LMS.
- ``launch``: an id_token verified (signature, then claims) into a ``Launch``.
- ``links``: resource links → classrooms, LMS people → teachers and seats.
- ``deeplink``: the LtiDeepLinkingResponse an instructor's choice of lesson becomes.
- ``ags``: Assignment and Grade Services: the token grant, scores, retries, their status.
- ``service``: the objects above made once per app, and the background poster.
- ``routes``: the HTTP endpoints and pages; ``admin``: the CLI (``backprop-playground lti``).
"""
