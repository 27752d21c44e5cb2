"""LTI's HTTP side, a thin adapter over the modules beside it (one module per group of
routes, installed here in this order):

- ``GET /lti/jwks``: the tool's public keys;
- ``GET /lti/config``: what to paste into Canvas or Moodle (both: ``routes_config``);
- ``GET|POST /lti/login``: OIDC login initiation → redirect to the platform;
- ``POST /lti/launch``: the platform's post of the id_token → the learner's seat, the
  instructor's dashboard, or the lesson picker (deep linking: ``routes_launch``);
- ``POST /lti/deep-link``: the picked lesson → the signed answer, posted back to the platform
  (``routes_deeplink``);
- ``GET|POST /api/lti/classrooms/{id}/grades``: the scores and where posting each stands;
  post them ("post grades") (``routes_grades``).

A refused launch is an HTML page with a 4xx status naming the parameter or claim at fault;
nothing is logged in before the id_token passed every check. What the routes share (the
service, the tool's address, cookies, the message page) is in ``routes_common``.
"""

from __future__ import annotations

from typing import Any

from app.lti import routes_config, routes_deeplink, routes_grades, routes_launch


def install(app: Any) -> None:
    """The LTI routes (after the classroom's: they reuse its objects)."""
    app.state.lti.teaching = app.state.classrooms.teaching
    app.include_router(routes_config.router)
    app.include_router(routes_launch.router)
    app.include_router(routes_deeplink.router)
    app.include_router(routes_grades.api)
