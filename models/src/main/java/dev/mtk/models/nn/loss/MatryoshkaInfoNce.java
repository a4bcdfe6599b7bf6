package dev.mtk.models.nn.loss;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * The Matryoshka contrastive loss of the reference step, fused: embeddings [2B, d] hold B anchors
 * then their B positives; for each prefix size m, the first m dimensions of every embedding are
 * L2-normalised, logits = aᵢ·pⱼ / τ, and the loss is the cross-entropy of row i against column i
 * (in-batch negatives), averaged over rows; the total is the sum over the prefix sizes. As
 * PyTorch: F.cross_entropy(normalize(a[:, :m]) @ normalize(p[:, :m]).T / τ, arange(B)).
 */
public final class MatryoshkaInfoNce implements Op {

  private final Tensor emb, loss; // [2B, d], [1]
  private final int[] dims;
  private final float temperature;
  private final int batch, d;
  private final float[] norms; // [dims, 2B]
  private final float[] soft; // [dims, B, B] softmax rows
  private final float[] unit; // [2B, d] normalised prefix of the current m
  private final float[] du; // [d] backward scratch

  public MatryoshkaInfoNce(Tensor emb, int[] dims, float temperature, Tensor loss) {
    this.emb = emb;
    this.loss = loss;
    this.dims = dims.clone();
    this.temperature = temperature;
    this.batch = emb.dim(0) / 2;
    this.d = emb.dim(1);
    for (int m : dims) {
      if (m < 1 || m > d) {
        throw new IllegalArgumentException("Matryoshka dim " + m + " is outside 1.." + d);
      }
    }
    this.norms = new float[dims.length * 2 * batch];
    this.soft = new float[dims.length * batch * batch];
    this.unit = new float[2 * batch * d];
    this.du = new float[d];
  }

  private void normalise(int k, int m) {
    float[] e = emb.data();
    for (int r = 0; r < 2 * batch; r++) {
      int src = emb.offset() + r * d;
      double ss = 0;
      for (int i = 0; i < m; i++) {
        ss += (double) e[src + i] * e[src + i];
      }
      // F.normalize: x / max(‖x‖, 1e-12)
      float n = (float) Math.max(Math.sqrt(ss), 1e-12);
      norms[k * 2 * batch + r] = n;
      for (int i = 0; i < m; i++) {
        unit[r * d + i] = e[src + i] / n;
      }
    }
  }

  @Override
  public void forward() {
    double total = 0;
    for (int k = 0; k < dims.length; k++) {
      int m = dims[k];
      normalise(k, m);
      double lossM = 0;
      for (int i = 0; i < batch; i++) {
        int row = (k * batch + i) * batch;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < batch; j++) {
          float s = 0f;
          for (int t = 0; t < m; t++) {
            s += unit[i * d + t] * unit[(batch + j) * d + t];
          }
          soft[row + j] = s / temperature;
          max = Math.max(max, soft[row + j]);
        }
        double z = 0;
        for (int j = 0; j < batch; j++) {
          z += Math.exp(soft[row + j] - max);
        }
        double logZ = max + Math.log(z);
        lossM += logZ - soft[row + i];
        for (int j = 0; j < batch; j++) {
          soft[row + j] = (float) Math.exp(soft[row + j] - logZ);
        }
      }
      total += lossM / batch;
    }
    loss.data()[loss.offset()] = (float) total;
  }

  @Override
  public void backward() {
    float gl = loss.grad()[loss.offset()];
    float[] e = emb.data(), ge = emb.grad();
    float[] du = this.du;
    for (int k = 0; k < dims.length; k++) {
      int m = dims[k];
      normalise(k, m);
      // dlogits_ij = (softmax_ij - [i == j]) / B · gl; logits = u_i · u_{B+j} / τ
      for (int r = 0; r < 2 * batch; r++) {
        java.util.Arrays.fill(du, 0, m, 0f);
        boolean anchor = r < batch;
        for (int o = 0; o < batch; o++) {
          int i = anchor ? r : o, j = anchor ? o : r - batch;
          float g = (soft[(k * batch + i) * batch + j] - (i == j ? 1f : 0f)) / batch * gl / temperature;
          int other = anchor ? (batch + o) * d : o * d;
          for (int t = 0; t < m; t++) {
            du[t] += g * unit[other + t];
          }
        }
        // through u = x / ‖x‖: dx = (du - u (u·du)) / ‖x‖
        float dot = 0f;
        for (int t = 0; t < m; t++) {
          dot += unit[r * d + t] * du[t];
        }
        float n = norms[k * 2 * batch + r];
        int dst = emb.offset() + r * d;
        for (int t = 0; t < m; t++) {
          ge[dst + t] += (du[t] - unit[r * d + t] * dot) / n;
        }
      }
    }
  }
}
