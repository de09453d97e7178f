# syntax=docker/dockerfile:1
# Production image: the API as a non-root user, `xinyidai serve` (Granian) with WEB_CONCURRENCY
# web worker processes (default 2; one per CPU the container gets). The job workers are separate
# containers of the same image:
#   docker run ... IMAGE xinyidai worker
# Migrations are a separate command:
#   docker run --rm -e DATABASE_URL=... -e SECRET_KEY=... -e DATA_KEY=... IMAGE xinyidai db upgrade
# Production needs DATABASE_URL and REDIS_URL; the embedded engines are for development only.

# The portals: built from the lock file; only dist/ reaches the image.
FROM node:20-slim AS portal
WORKDIR /portal
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./
RUN rm -rf node_modules/.vite dist && npm run build

FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN apt-get update && apt-get install -y --no-install-recommends gcc make libc6-dev \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
# ml/ (xinyidai-ml: training, evaluation and their libraries, scikit-learn among them) is a
# workspace member that only the dev group installs. uv reads its pyproject.toml to know the
# workspace; its code stays out of the image.
COPY ml/pyproject.toml ./ml/
RUN uv sync --frozen --no-dev --no-install-project
COPY src ./src
COPY migrations ./migrations
COPY alembic.ini ./
RUN uv sync --frozen --no-dev

FROM python:3.11-slim AS runtime
# libgomp1: LightGBM's OpenMP runtime, absent from slim images.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin xinyidai
WORKDIR /app
COPY --from=build --chown=root:root /app /app
COPY --from=portal --chown=root:root /portal/dist /app/frontend/dist
ENV PATH=/app/.venv/bin:$PATH ENV=production HOST=0.0.0.0 PORT=8000 LOG_JSON=true \
    WEB_CONCURRENCY=2 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_DIR=/app/frontend/dist
USER xinyidai
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,sys; \
sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health/live').status != 200)"
# Behind a proxy, set TRUSTED_PROXIES=true: the app then reads the client from X-Forwarded-For.
CMD ["xinyidai", "serve"]
