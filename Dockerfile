# syntax=docker/dockerfile:1
# Microcred production image. One image, several roles (docker-compose.yml picks the command):
#   web     gunicorn microcred.wsgi (the default CMD below; static files through whitenoise)
#   worker  celery -A microcred worker
#   beat    celery -A microcred beat
#   migrate python manage.py migrate --noinput
# No HEALTHCHECK here on purpose: the same image runs the worker, beat and the one-shot
# migrate, which do not listen on :8000; docker-compose.yml gives each role its own check.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=microcred.settings \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/var/lib/microcred/media \
    WEB_CONCURRENCY=2

# An unprivileged user with a fixed uid/gid, so volume ownership is predictable. It gets a
# writable home: gunicorn puts its control socket in ~/.gunicorn/ (the code in /app stays
# read-only for it).
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Every pin has an x86_64 manylinux
# wheel (psycopg2-binary bundles libpq, Pillow bundles its image libraries): no compilers.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image (whitenoise serves them with a manifest).
# settings.py refuses to load without DJANGO_SECRET_KEY when DEBUG is off, so this one step
# gets a throwaway key; it is not kept in the image's environment.
# The writable directories are created owned by the app user, so named volumes mounted on
# them (media, beat schedule) start with the right owner.
RUN DJANGO_SECRET_KEY=collectstatic-build-only-not-a-secret \
    python manage.py collectstatic --noinput -v 0 \
 && mkdir -p /var/lib/microcred/media /var/lib/microcred/beat \
 && chown -R app:app /var/lib/microcred

USER app

EXPOSE 8000

# gunicorn takes its worker count from WEB_CONCURRENCY (default 2 above).
CMD ["gunicorn", "microcred.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
