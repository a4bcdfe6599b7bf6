"""FAISS IndexFlatIP beside `mtk index search`, on the same vectors.

Run with Debian's python (apt-get install python3-faiss python3-numpy):
  /usr/bin/python3 bench/python/faiss_search.py DIR [N] [D]
writes DIR/base.npy (N × D standard normal, numpy default_rng(0), as ../shared/anchors/faiss_flat.py
draws them) and DIR/queries.npy (1,000 × D), times FAISS single-query (20 queries, one at a time)
and one batch of 1,000 (best of two), for 1 and 2 threads, and writes FAISS's top-10 ids to DIR/faiss_ids.npy
so that the results can be compared with mtk's (bench/python/compare_ids.py).
"""
import sys, time, os
import numpy as np
import faiss

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
d = int(sys.argv[3]) if len(sys.argv) > 3 else 256
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
xb = rng.standard_normal((n, d), dtype=np.float32)
xq = rng.standard_normal((1000, d), dtype=np.float32)
np.save(os.path.join(out, "base.npy"), xb)
np.save(os.path.join(out, "queries.npy"), xq)
index = faiss.IndexFlatIP(d)
index.add(xb)
for nt in (1, 2):
    faiss.omp_set_num_threads(nt)
    index.search(xq[:2], 10)  # warm
    t = time.perf_counter()
    for i in range(20):
        index.search(xq[i:i + 1], 10)
    single = 20 / (time.perf_counter() - t)
    batch = 0
    for rep in range(2):  # best of two: the first pays for warming up
        t = time.perf_counter()
        _, ids = index.search(xq, 10)
        batch = max(batch, 1000 / (time.perf_counter() - t))
    print(f"faiss IndexFlatIP n={n} d={d} threads={nt}: single-query {single:.1f} QPS, "
          f"batch-1000 {batch:.0f} QPS", flush=True)
np.save(os.path.join(out, "faiss_ids.npy"), ids.astype(np.float32))
