# Backprop Playground: the server, the engine and the page in one small image.
#   docker build -t backprop-playground .
#   docker run --rm -p 8000:8000 -v playground-data:/srv/playground/data backprop-playground
#                                                          → http://localhost:8000/
# Settings and limits come from BPP_* environment variables (see app/settings.py); the session
# store lives in the volume /srv/playground/data. docs/deploy.md has the details, podman included.
#
# PYTHON_IMAGE: any Debian-based image with Python 3.11+ whose `python` and `pip` (on PATH) may
# install packages system-wide. The default is the official image; the container test builds on
# a stand-in made from Debian packages (scripts/container-base.sh) where no registry is at hand.
ARG PYTHON_IMAGE=python:3.11-slim

# Stage 1: the wheel, built as any user would (pip wheel .); the image installs it, not the
# source tree.
FROM ${PYTHON_IMAGE} AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY app ./app
COPY backprop_playground ./backprop_playground
COPY templates ./templates
COPY static ./static
RUN pip wheel --no-deps --wheel-dir /dist .

# Stage 2: the image.
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="Backprop Playground" \
      org.opencontainers.image.description="A visual playground for learning how neural networks learn by backpropagation" \
      org.opencontainers.image.licenses="MIT"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BPP_DATA_DIR=/srv/playground/data

WORKDIR /srv/playground

# The user the server runs as, and the folder of its SQLite database, which it must own.
RUN useradd --create-home --uid 10001 playground \
    && mkdir -p "$BPP_DATA_DIR" \
    && chown playground:playground "$BPP_DATA_DIR"

# Dependencies first, read from pyproject.toml alone, so that code (and README) changes do not
# reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The wheel carries the server, the engine, the page (templates and static files inside the
# app package) and the Python client; its dependencies are installed above.
COPY --from=wheel /dist /tmp/dist
RUN pip install --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist pyproject.toml

USER playground
# Declared after the chown above, so that a new volume starts out owned by the playground user.
VOLUME ["/srv/playground/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"

CMD ["backprop-playground", "--host", "0.0.0.0", "--port", "8000"]
