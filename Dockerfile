# One image for the API, the worker and the one-shot jobs (migrations, search attributes).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
# /var/lib/cartnudge/send-journal: the worker's send journal; docker-compose mounts a volume
# there, which keeps this owner.
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app cartnudge \
    && install -d -o cartnudge /var/lib/cartnudge/send-journal

USER cartnudge
EXPOSE 8000
CMD ["uvicorn", "api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
