# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MBC_VAR_DIR=/app/var
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home /app mbc && mkdir -p /app/var && chown -R mbc /app/var
USER mbc
# Development mode for the build step itself, with the manifest storage production serves from.
RUN STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage \
    python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "mbc.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
