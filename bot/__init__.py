"""citebot: answers questions from a folder of documents, citing them."""

import os

# NumPy's OpenBLAS starts a pool of threads when NumPy is imported, for dense linear algebra citebot
# never does (BM25 sums sparse columns): 35 ms of every one-shot `citebot ask` on two cores. One
# thread, unless whoever runs it chose otherwise; set before any of our modules imports NumPy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
