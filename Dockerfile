# Backprop Playground: the server, the engine and the page in one small image.
#   docker build -t backprop-playground .
#   docker run --rm -p 8000:8000 backprop-playground      → http://localhost:8000/
# Settings and limits come from BPP_* environment variables (see app/settings.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/playground

# Dependencies first, so that code changes do not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p engine app/routers app/store/migrations/versions \
    && touch engine/__init__.py app/__init__.py app/routers/__init__.py app/store/__init__.py \
       app/store/migrations/__init__.py app/store/migrations/versions/__init__.py \
    && pip install . \
    && pip uninstall -y backprop-playground

COPY engine ./engine
COPY app ./app
COPY templates ./templates
COPY static ./static
# Editable: the app finds static/ and templates/ next to its package.
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 10001 playground \
    && mkdir -p /srv/playground/data && chown playground /srv/playground/data

# The session store (SQLite) lives here: mount a volume to keep sessions across containers, or
# set BPP_DATABASE_URL to a PostgreSQL database.
ENV BPP_DATA_DIR=/srv/playground/data
VOLUME ["/srv/playground/data"]

USER playground
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

CMD ["backprop-playground", "--host", "0.0.0.0", "--port", "8000"]
