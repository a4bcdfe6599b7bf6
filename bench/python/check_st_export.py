# Loads a `./mtk model export --format sentence-transformers` folder the way Hugging Face documents
# BertModel (config.json + model.safetensors under BertModel's tensor names), runs it in plain
# PyTorch (an independent BERT: embeddings + post-LN layers, exact GELU), mean-pools, applies the
# Dense module when modules.json lists one, L2-normalises, and compares with mtk's embeddings
# of the same sentences. WordPiece is re-implemented here for plain ASCII text (lower-casing,
# punctuation split, greedy longest match), so use ASCII sentences.
#
# Optional (never needed by tests or CI): Debian's python3-torch and python3-numpy.
#   ./mtk model export --model DIR --output /tmp/st
#   ./mtk embed --model DIR --input sentences.txt --output /tmp/mtk.npy
#   /usr/bin/python3 bench/python/check_st_export.py /tmp/st sentences.txt /tmp/mtk.npy [DIM]
# With sentence-transformers installed it also loads the folder with SentenceTransformer(...,
# truncate_dim=DIM) and compares that too. Exit status 1 when any row differs by more than 1e-5.
import json, math, os, struct, sys
import numpy as np
import torch

folder, sentences_file, mtk_npy = sys.argv[1], sys.argv[2], sys.argv[3]
dim = int(sys.argv[4]) if len(sys.argv) > 4 else None

def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == '__metadata__':
            continue
        assert h['dtype'] == 'F32', name
        a, b = h['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype='<f4').copy().reshape(h['shape']))
    return out

cfg = json.load(open(os.path.join(folder, 'config.json')))
assert cfg['model_type'] == 'bert' and cfg['hidden_act'] == 'gelu'
W = read_safetensors(os.path.join(folder, 'model.safetensors'))
D, H, L, eps = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_hidden_layers'], cfg['layer_norm_eps']
pool_cfg = json.load(open(os.path.join(folder, '1_Pooling', 'config.json')))
modules = json.load(open(os.path.join(folder, 'modules.json')))
dense = next((read_safetensors(os.path.join(folder, m['path'], 'model.safetensors')) for m in modules
              if m['type'] == 'sentence_transformers.models.Dense'), None)
max_len = json.load(open(os.path.join(folder, 'sentence_bert_config.json')))['max_seq_length']

tok = json.load(open(os.path.join(folder, 'tokenizer.json')))
vocab = tok['model']['vocab']
cls, sep, unk = vocab['[CLS]'], vocab['[SEP]'], vocab['[UNK]']

def wordpiece(text):
    words, cur = [], ''
    for ch in text.lower():
        if ch.isspace():
            if cur: words.append(cur); cur = ''
        elif not ch.isalnum():
            if cur: words.append(cur); cur = ''
            words.append(ch)
        else:
            cur += ch
    if cur: words.append(cur)
    ids = []
    for w in words:
        start, pieces = 0, []
        while start < len(w):
            end = len(w)
            while end > start:
                piece = ('##' if start > 0 else '') + w[start:end]
                if piece in vocab:
                    break
                end -= 1
            if end == start:
                pieces = [unk]; break
            pieces.append(vocab[piece]); start = end
        ids.extend(pieces)
    return [cls] + ids[:max_len - 2] + [sep]

def layer_norm(x, p):
    return torch.nn.functional.layer_norm(x, (D,), W[p + '.weight'], W[p + '.bias'], eps)

def linear(x, p):
    return x @ W[p + '.weight'].T + W[p + '.bias']

def bert(ids):
    n = len(ids)
    x = W['embeddings.word_embeddings.weight'][torch.tensor(ids)] \
        + W['embeddings.position_embeddings.weight'][:n] + W['embeddings.token_type_embeddings.weight'][0]
    x = layer_norm(x, 'embeddings.LayerNorm')
    hd = D // H
    for l in range(L):
        p = f'encoder.layer.{l}.'
        q, k, v = (linear(x, p + 'attention.self.' + s).view(n, H, hd).transpose(0, 1) for s in ('query', 'key', 'value'))
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(hd), dim=-1) @ v
        x = layer_norm(x + linear(a.transpose(0, 1).reshape(n, D), p + 'attention.output.dense'), p + 'attention.output.LayerNorm')
        h = torch.nn.functional.gelu(linear(x, p + 'intermediate.dense'))
        x = layer_norm(x + linear(h, p + 'output.dense'), p + 'output.LayerNorm')
    e = x.mean(0) if pool_cfg['pooling_mode_mean_tokens'] else x[0]
    if dense is not None:  # sentence-transformers' Dense module, identity activation
        e = e @ dense['linear.weight'].T + dense['linear.bias']
    return e

sentences = [s.rstrip('\n') for s in open(sentences_file) if s.strip()]
with torch.no_grad():
    ours = torch.stack([bert(wordpiece(s)) for s in sentences]).double()
if dim:
    ours = ours[:, :dim]
ours = (ours / ours.norm(dim=1, keepdim=True)).numpy()
mtk = np.load(mtk_npy).astype(np.float64)
if dim and mtk.shape[1] > dim:
    mtk = mtk[:, :dim] / np.linalg.norm(mtk[:, :dim], axis=1, keepdims=True)
worst = float(np.abs(ours - mtk).max())
print(f'{len(sentences)} sentences, width {ours.shape[1]}: max |PyTorch BertModel - mtk| = {worst:.2e}')
bad = worst > 1e-5
try:
    from sentence_transformers import SentenceTransformer
    st = SentenceTransformer(folder, truncate_dim=dim).encode(sentences, normalize_embeddings=True)
    w2 = float(np.abs(st - mtk).max())
    print(f'sentence-transformers {"truncate_dim=" + str(dim) if dim else ""}: max |ST - mtk| = {w2:.2e}')
    bad = bad or w2 > 1e-5
except ImportError:
    print('(sentence-transformers is not installed: only the plain PyTorch check ran)')
sys.exit(1 if bad else 0)
