# PyTorch twin of experiments/fashion-mnist.yaml's model and step, for a side-by-side of how fast
# the same ViT learns (not of speed). Run: OPENBLAS_NUM_THREADS=2 /usr/bin/python3 torch_fashion_mnist.py STEPS [PATCH]
# Needs dataset-fashion-mnist. Differences from mtk: PyTorch's default initialisation, and one crop
# offset and flip per batch rather than per image.
import torch, gzip, numpy as np, torch.nn as nn, torch.nn.functional as F, sys, time, math
torch.manual_seed(0); torch.set_num_threads(2)
D='/usr/share/datasets/fashion-mnist/'
def imgs(f): return np.frombuffer(gzip.open(D+f).read(),np.uint8,offset=16).reshape(-1,1,28,28)
def labs(f): return np.frombuffer(gzip.open(D+f).read(),np.uint8,offset=8)
xtr=torch.tensor(imgs('train-images-idx3-ubyte.gz')[:55000]).float()/255; ytr=torch.tensor(labs('train-labels-idx1-ubyte.gz')[:55000]).long()
xte=torch.tensor(imgs('t10k-images-idx3-ubyte.gz')).float()/255; yte=torch.tensor(labs('t10k-labels-idx1-ubyte.gz')).long()
xtr=(xtr-.5)/.5; xte=(xte-.5)/.5
d,H,FF,L,P=64,4,256,4,int(sys.argv[2]) if len(sys.argv)>2 else 4
N=(28//P)**2; dims=[8,16,32,64]; steps=int(sys.argv[1]); B=128; lr=2e-3
class ViT(nn.Module):
    def __init__(s):
        super().__init__(); s.patch=nn.Linear(P*P,d); s.pos=nn.Parameter(torch.randn(N,d)*0.02)
        s.enc=nn.TransformerEncoder(nn.TransformerEncoderLayer(d,H,FF,0.0,'gelu',batch_first=True,norm_first=True),L); s.ln=nn.LayerNorm(d)
        s.heads=nn.ModuleList([nn.Linear(m,10) for m in dims])
    def embed(s,x):
        b=x.shape[0]; p=x.reshape(b,1,28//P,P,28//P,P).permute(0,2,4,1,3,5).reshape(b,N,P*P)
        return s.ln(s.enc(s.patch(p)+s.pos)).mean(1)
m=ViT(); opt=torch.optim.AdamW(m.parameters(),lr=lr,weight_decay=0.05)
g=torch.Generator().manual_seed(1); t=time.time()
for st in range(steps):
    w=150; cur=lr*(st+1)/w if st<w else lr*0.5*(1+math.cos(math.pi*(st-w)/(steps-w)))
    for pg in opt.param_groups: pg['lr']=cur
    idx=torch.randint(0,55000,(B,),generator=g); x=xtr[idx]
    x=F.pad(x,(2,2,2,2),value=-1.0); i,j=np.random.randint(0,5,2); x=x[:,:,i:i+28,j:j+28]
    if np.random.rand()<.5: x=x.flip(3)
    e=m.embed(x); loss=sum(F.cross_entropy(h(e[:,:k]),ytr[idx]) for h,k in zip(m.heads,dims))
    opt.zero_grad(); loss.backward(); opt.step()
    if st%200==0: print(st, loss.item()/4, flush=True)
m.eval()
with torch.no_grad():
    acc=[]; 
    for k,h in zip(dims,m.heads):
        c=0
        for a in range(0,10000,1000): c+=(h(m.embed(xte[a:a+1000])[:,:k]).argmax(1)==yte[a:a+1000]).sum().item()
        acc.append(c/10000)
print('steps',steps,'head acc',acc,'time',time.time()-t)
