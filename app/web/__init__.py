"""The web process: the FastAPI app, its routers, the registry of session handles, the hub."""
