"""`make bench`: requests, bytes, time and memory of the pipeline against a fake arXiv API.

Run `python bench/run.py` (what `make bench` does); results go to `bench/results/`.
See bench/README.md for what is measured and how to read it.
"""
