# Commerce Hub image: `hub` is the entry point; the command picks the role, e.g.
#   podman run --rm commerce-hub:0.1.0 serve --role gateway
# Multi-stage: the build stage makes a virtualenv with the hub installed (pip needs PyPI);
# the runtime stage copies only that virtualenv onto the same base and runs as a non-root user.
# The base is pinned by an exact tag; BASE_IMAGE overrides it (a mirror, a digest, or a local
# Debian bookworm base with python3-venv, as docs/deployment.md describes).
ARG BASE_IMAGE=docker.io/library/python:3.12.8-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/hub
WORKDIR /src
COPY pyproject.toml ./
COPY commerce_hub ./commerce_hub
COPY gateway ./gateway
COPY experience_apis ./experience_apis
COPY process_apis ./process_apis
COPY system_apis ./system_apis
COPY shared ./shared
RUN /opt/hub/bin/pip install . && /opt/hub/bin/hub --help > /dev/null

FROM ${BASE_IMAGE}
RUN groupadd --system --gid 10001 hub \
 && useradd --system --uid 10001 --gid hub --home-dir /var/lib/hub --create-home --shell /usr/sbin/nologin hub
COPY --from=build /opt/hub /opt/hub
ENV PATH=/opt/hub/bin:$PATH PYTHONUNBUFFERED=1 HUB_HOST=0.0.0.0 HUB_PORT=8080
# the embedded default's SQLite file (./var/hub.db) lands in the hub user's home
WORKDIR /var/lib/hub
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["hub"]
CMD ["serve"]
