# Inference of the "reference" encoder in PyTorch, timed like `mtk bench embed`: 10 s warm-up, then
# several passes of 256 sequences × 64 tokens, median and best. Same model as
# ../../../shared/anchors/torch_reference.py (nn.TransformerEncoder, pre-LN, GELU, mean pooling).
# Optional: needs Debian's python3-torch. Run: /usr/bin/python3 bench/python/torch_reference_embed.py THREADS
import sys, time, torch, torch.nn as nn
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)
V, D, H, FF, L, T = 8192, 256, 4, 1024, 4, 64
class Enc(nn.Module):
    def __init__(s):
        super().__init__()
        s.tok = nn.Embedding(V, D); s.pos = nn.Embedding(T, D)
        layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0, activation='gelu', batch_first=True, norm_first=True)
        s.enc = nn.TransformerEncoder(layer, L); s.ln = nn.LayerNorm(D)
    def forward(s, x):
        return s.ln(s.enc(s.tok(x) + s.pos(torch.arange(x.shape[1])))).mean(1)
m = Enc().eval()
x = torch.randint(0, V, (256, T))
with torch.inference_mode():
    end = time.perf_counter() + 10  # as long as mtk bench embed warms up
    while time.perf_counter() < end:
        m(x)
    ts = []
    for _ in range(5):
        t = time.perf_counter(); m(x); ts.append(time.perf_counter() - t)
ts.sort()
print(f"threads={threads} torch {torch.__version__} inference 256x64: median {256*T/ts[2]:.0f} tokens/s, best {256*T/ts[0]:.0f} tokens/s")
