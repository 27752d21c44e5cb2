"""The REST API under ``/api`` (docs/contract.md, "REST"): its calls on no session — one
backprop step, the version, the catalog, a CSV file read. A session's calls are in
``api_sessions`` (create, read, change, export, delete), ``api_training`` (train, jobs, stop)
and ``api_inspect`` (history, predict, replay, confusion, edits, gradient check); the answers'
examples in ``api_answers``. Handlers stay short: validation is in the schemas and
``app/limits.py``, the work in the session's trainer (a typed command, ``app/commands.py``,
through ``SessionHandle.call``) and the engine."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app import commands as c
from app import limits
from app.api_requests import BackpropRequest, CsvRequest
from app.controls import catalog as controls_catalog
from app.settings import Settings
from app.version import API_VERSION, version_document
from app.web import csvdata
from app.web import responses as out
from app.web.deps import PoolDep, SettingsDep
from app.web.routers.api_answers import BUSY, INVALID, _example, encoded
from engine import ACTIVATIONS, INIT_SCHEMES, LOSSES, REGULARIZATIONS
from engine.datasets import DATASETS
from engine.features import FEATURES

router = APIRouter(prefix="/api", tags=["api"])


# settings a client has no business knowing: addresses with passwords, the server's folders
PRIVATE_SETTINGS = {"database_url", "bus_url", "data_dir"}


def catalog_document(settings: Settings | None = None) -> dict[str, Any]:
    """Everything a client needs to build its controls (``GET /api/catalog``)."""
    settings = settings or Settings()
    return {
        "api_version": API_VERSION,
        "activations": [
            {
                "name": a.name,
                "latex": a.latex,
                "latex_prime": a.latex_prime,
                "output_only": bool(a.output_only),
            }
            for a in ACTIVATIONS.values()
        ],
        "losses": [
            {
                "name": loss.name,
                "latex": loss.latex,
                "latex_delta": loss.latex_delta,
                "allowed_outputs": list(loss.allowed_outputs) if loss.allowed_outputs else None,
            }
            for loss in LOSSES.values()
        ],
        "init_schemes": list(INIT_SCHEMES),
        "regularizations": list(REGULARIZATIONS),
        "datasets": [
            {
                "name": d.name,
                "task": d.task,
                "dims": d.dims,
                "description": d.description,
                "params": list(d.params),
            }
            for d in DATASETS.values()
        ],
        "features": [{"name": f.name, "latex": f.latex} for f in FEATURES.values()],
        "limits": settings.model_dump(exclude=PRIVATE_SETTINGS),
        "controls": controls_catalog(),
    }


@router.post("/backprop", responses={**INVALID, **BUSY, 200: {"model": out.BackpropOut}})
async def backprop(body: BackpropRequest, settings: SettingsDep, pool: PoolDep) -> Response:
    """One forward pass, backward pass and update (Eq. 7) with the full trace: exactly the
    engine's ``backprop_step`` (stateless)."""
    limits.check_backprop(body, settings)
    payload = body.model_dump(exclude_none=True)
    return encoded(await pool.any_trainer(c.Backprop(payload=payload)))


@router.get("/version", responses=_example({"api": API_VERSION, "server": "0.1.0"}))
async def version() -> dict:
    """The API's version (``MAJOR.MINOR``; every answer also carries it in the
    ``X-Playground-API`` header) and the server's."""
    return version_document()


@router.get(
    "/catalog",
    responses=_example({"activations": [{"name": "tanh"}], "limits": {}}, out.Catalog),
)
async def catalog(settings: SettingsDep) -> dict:
    """Activations (with LaTeX), losses, init schemes, datasets, features and the limits."""
    return catalog_document(settings)


@router.post("/csv", response_model=None, responses={**INVALID, 200: {"model": out.CsvOut}})
def read_csv(body: CsvRequest, settings: SettingsDep) -> dict:
    """Read a CSV file's text: its columns, row count and first rows; with ``inputs`` and
    ``targets`` (column names) also the tables for an ``inline`` dataset. A bad file is
    refused naming the line and column (field ``text``)."""
    return csvdata.parse_csv(body.text, body.inputs, body.targets, settings)
