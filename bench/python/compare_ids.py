"""Compare mtk's results.jsonl with FAISS's top-10 ids, allowing for ties.

  /usr/bin/python3 bench/python/compare_ids.py DIR results.jsonl
Counts queries whose id lists are identical; where they differ, checks that the differing ids
have the same inner product (recomputed in float64) at the boundary, i.e. that they are ties.
"""
import sys, json, os
import numpy as np

d = sys.argv[1]
xb = np.load(os.path.join(d, "base.npy"), mmap_mode="r")
xq = np.load(os.path.join(d, "queries.npy"))
faiss_ids = np.load(os.path.join(d, "faiss_ids.npy")).astype(np.int64)
same = ties = wrong = 0
with open(sys.argv[2]) as f:
    for qi, line in enumerate(f):
        ours = json.loads(line)["ids"]
        theirs = list(faiss_ids[qi])
        if ours == theirs:
            same += 1
            continue
        s_ours = np.sort(np.asarray(xb[ours], dtype=np.float64) @ xq[qi].astype(np.float64))
        s_theirs = np.sort(np.asarray(xb[theirs], dtype=np.float64) @ xq[qi].astype(np.float64))
        if np.allclose(s_ours, s_theirs, rtol=0, atol=1e-4):
            ties += 1
        else:
            wrong += 1
print(f"identical {same}, differing only by ties/rounding {ties}, different {wrong}")
