FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home --uid 1000 pilotgate
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir setuptools && pip install --no-cache-dir .
COPY . .
RUN mkdir -p var && chown -R pilotgate:pilotgate var
USER pilotgate
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
