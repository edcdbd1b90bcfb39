# Self-hosted team dashboard: CPU-only torch, runs as a non-root user, health-checked on Streamlit's endpoint.
#   docker build -t audiodiag .
#   docker run -p 8501:8501 audiodiag
# Not built in the project's CI or on the machine this was written on (no Docker there); tests/test_packaging.py
# checks the file's contract (torch pin, --no-deps, USER, HEALTHCHECK) without building it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# No apt packages: the soundfile wheel bundles libsndfile (with MP3), so neither libsndfile1 nor ffmpeg is
# needed, and the health check uses Python instead of curl.
WORKDIR /app

# CPU torch first, from PyTorch's CPU index and at requirements.txt's pin, so the next step finds torch==2.13.0
# satisfied instead of pulling the multi-GB CUDA build from PyPI.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY requirements.txt requirements-nodeps.txt ./
RUN pip install -r requirements.txt \
 && pip install --no-deps -r requirements-nodeps.txt

COPY .streamlit/config.toml .streamlit/config.toml
COPY sample_audio/ sample_audio/
COPY audiodiag/ audiodiag/
COPY pages/ pages/
COPY app.py ./

# A non-root user with a home for the caches (Hugging Face models, downloaded sample sets, ~/.streamlit).
RUN useradd --create-home --uid 10001 audiodiag
USER audiodiag

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4).read() != b'ok')"

CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
