FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# WeasyPrint (PDFs) needs Pango; Unicode fonts so any text a user types comes out as itself.
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 pilotgate
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir setuptools && pip install --no-cache-dir .
COPY . .
RUN mkdir -p var && chown -R pilotgate:pilotgate var
USER pilotgate
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
