package dev.mtk.models.nn;

/**
 * Every op again, in double precision and written the plainest way: the independent reference
 * that the float ops and their hand-written gradients are checked against (by central finite
 * differences of these functions).
 */
public final class DoubleOps {

  private DoubleOps() {}

  public static double[] linear(double[] in, double[] w, double[] b, int rows, int dIn, int dOut) {
    double[] out = new double[rows * dOut];
    for (int r = 0; r < rows; r++) {
      for (int o = 0; o < dOut; o++) {
        double s = b == null ? 0 : b[o];
        for (int i = 0; i < dIn; i++) {
          s += in[r * dIn + i] * w[o * dIn + i];
        }
        out[r * dOut + o] = s;
      }
    }
    return out;
  }

  public static double[] layerNorm(double[] in, double[] g, double[] b, int rows, int d, double eps) {
    double[] out = new double[rows * d];
    for (int r = 0; r < rows; r++) {
      double mean = 0, var = 0;
      for (int i = 0; i < d; i++) {
        mean += in[r * d + i];
      }
      mean /= d;
      for (int i = 0; i < d; i++) {
        var += (in[r * d + i] - mean) * (in[r * d + i] - mean);
      }
      var /= d;
      for (int i = 0; i < d; i++) {
        out[r * d + i] = (in[r * d + i] - mean) / Math.sqrt(var + eps) * g[i] + b[i];
      }
    }
    return out;
  }

  public static double erf(double x) {
    double ax = Math.abs(x);
    if (ax > 6) {
      return Math.signum(x);
    }
    double term = ax, sum = ax;
    for (int n = 1; n < 300; n++) {
      term *= -ax * ax / n;
      double add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-18) {
        break;
      }
    }
    return Math.signum(x) * 2 / Math.sqrt(Math.PI) * sum;
  }

  public static double[] gelu(double[] in, boolean tanhForm) {
    double[] out = new double[in.length];
    for (int i = 0; i < in.length; i++) {
      double x = in[i];
      out[i] = tanhForm
          ? 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))
          : 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }
    return out;
  }

  /** qkv [B·T, 3d] → out [B·T, d]; keys at or beyond lengths[b] masked. */
  public static double[] attention(double[] qkv, int[] lengths, int batch, int seq, int d, int heads) {
    int hd = d / heads;
    double[] out = new double[batch * seq * d];
    for (int b = 0; b < batch; b++) {
      for (int h = 0; h < heads; h++) {
        for (int i = 0; i < seq; i++) {
          double[] s = new double[lengths[b]];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < lengths[b]; j++) {
            double dot = 0;
            for (int t = 0; t < hd; t++) {
              dot += qkv[(b * seq + i) * 3 * d + h * hd + t] * qkv[(b * seq + j) * 3 * d + d + h * hd + t];
            }
            s[j] = dot / Math.sqrt(hd);
            max = Math.max(max, s[j]);
          }
          double z = 0;
          for (int j = 0; j < s.length; j++) {
            s[j] = Math.exp(s[j] - max);
            z += s[j];
          }
          for (int j = 0; j < s.length; j++) {
            for (int t = 0; t < hd; t++) {
              out[(b * seq + i) * d + h * hd + t] += s[j] / z * qkv[(b * seq + j) * 3 * d + 2 * d + h * hd + t];
            }
          }
        }
      }
    }
    return out;
  }

  public static double[] meanPool(double[] in, int[] lengths, int batch, int seq, int d) {
    double[] out = new double[batch * d];
    for (int b = 0; b < batch; b++) {
      for (int t = 0; t < lengths[b]; t++) {
        for (int i = 0; i < d; i++) {
          out[b * d + i] += in[(b * seq + t) * d + i] / lengths[b];
        }
      }
    }
    return out;
  }

  public static double[] add(double[] a, double[] b) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i] + b[i];
    }
    return out;
  }

  public static double[] embedding(int[] ids, double[] tok, double[] pos, int seq, int d) {
    double[] out = new double[ids.length * d];
    for (int n = 0; n < ids.length; n++) {
      for (int i = 0; i < d; i++) {
        out[n * d + i] = tok[ids[n] * d + i] + pos[(n % seq) * d + i];
      }
    }
    return out;
  }

  /** Σ over dims of mean_i CE(normalize(a[:, :m]) · normalize(p[:, :m])ᵀ / τ, i). */
  public static double matryoshkaInfoNce(double[] emb, int batch, int d, int[] dims, double tau) {
    double total = 0;
    for (int m : dims) {
      double[][] u = new double[2 * batch][m];
      for (int r = 0; r < 2 * batch; r++) {
        double n = 0;
        for (int t = 0; t < m; t++) {
          n += emb[r * d + t] * emb[r * d + t];
        }
        n = Math.max(Math.sqrt(n), 1e-12);
        for (int t = 0; t < m; t++) {
          u[r][t] = emb[r * d + t] / n;
        }
      }
      double sum = 0;
      for (int i = 0; i < batch; i++) {
        double[] logits = new double[batch];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < batch; j++) {
          double s = 0;
          for (int t = 0; t < m; t++) {
            s += u[i][t] * u[batch + j][t];
          }
          logits[j] = s / tau;
          max = Math.max(max, logits[j]);
        }
        double z = 0;
        for (double l : logits) {
          z += Math.exp(l - max);
        }
        sum += max + Math.log(z) - logits[i];
      }
      total += sum / batch;
    }
    return total;
  }

  public static double[] softmax(double[] x, int n) {
    double[] y = new double[x.length];
    for (int r = 0; r < x.length / n; r++) {
      double max = Double.NEGATIVE_INFINITY, z = 0;
      for (int j = 0; j < n; j++) {
        max = Math.max(max, x[r * n + j]);
      }
      for (int j = 0; j < n; j++) {
        z += Math.exp(x[r * n + j] - max);
      }
      for (int j = 0; j < n; j++) {
        y[r * n + j] = Math.exp(x[r * n + j] - max) / z;
      }
    }
    return y;
  }

  public static double[] l2Normalize(double[] x, int n) {
    double[] y = new double[x.length];
    for (int r = 0; r < x.length / n; r++) {
      double ss = 0;
      for (int j = 0; j < n; j++) {
        ss += x[r * n + j] * x[r * n + j];
      }
      double norm = Math.max(Math.sqrt(ss), 1e-12);
      for (int j = 0; j < n; j++) {
        y[r * n + j] = x[r * n + j] / norm;
      }
    }
    return y;
  }

  public static double[] prefix(double[] x, int d, int m) {
    double[] y = new double[x.length / d * m];
    for (int r = 0; r < x.length / d; r++) {
      System.arraycopy(x, r * d, y, r * m, m);
    }
    return y;
  }

  public static double[] clsPool(double[] x, int batch, int seq, int d) {
    double[] y = new double[batch * d];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(x, b * seq * d, y, b * d, d);
    }
    return y;
  }

  public static double crossEntropy(double[] logits, int[] targets, int classes) {
    double total = 0;
    for (int r = 0; r < targets.length; r++) {
      double[] p = softmax(java.util.Arrays.copyOfRange(logits, r * classes, (r + 1) * classes), classes);
      total -= Math.log(p[targets[r]]);
    }
    return total / targets.length;
  }

  /**
   * Supervised contrastive loss written from the paper's formula: for each anchor with positives,
   * the mean over its positives of −log(exp s_ap / Σ_{j≠a} exp s_aj); the mean over those anchors.
   */
  public static double supCon(double[] s, int[] labels) {
    int n = labels.length, anchors = 0;
    double total = 0;
    for (int a = 0; a < n; a++) {
      double denominator = 0;
      for (int j = 0; j < n; j++) {
        denominator += j == a ? 0 : Math.exp(s[a * n + j]);
      }
      double sum = 0;
      int positives = 0;
      for (int p = 0; p < n; p++) {
        if (p != a && labels[p] == labels[a]) {
          sum -= Math.log(Math.exp(s[a * n + p]) / denominator);
          positives++;
        }
      }
      if (positives > 0) {
        total += sum / positives;
        anchors++;
      }
    }
    return anchors == 0 ? 0 : total / anchors;
  }

  public static double mse(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (a[i] - b[i]) * (a[i] - b[i]);
    }
    return s / a.length;
  }

  public static double kl(double[] student, double[] teacher, int classes, double tau) {
    double total = 0;
    int rows = student.length / classes;
    for (int r = 0; r < rows; r++) {
      double[] s = new double[classes], t = new double[classes];
      for (int c = 0; c < classes; c++) {
        s[c] = student[r * classes + c] / tau;
        t[c] = teacher[r * classes + c] / tau;
      }
      double[] ps = softmax(s, classes), pt = softmax(t, classes);
      for (int c = 0; c < classes; c++) {
        total += pt[c] * (Math.log(pt[c]) - Math.log(ps[c]));
      }
    }
    return total / rows;
  }

  public static double[] matmul(double[] a, double[] b, int m, int k, int n) {
    double[] c = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int p = 0; p < k; p++) {
          s += a[i * k + p] * b[p * n + j];
        }
        c[i * n + j] = s;
      }
    }
    return c;
  }

  public static double[] toDouble(float[] a, int off, int n) {
    double[] r = new double[n];
    for (int i = 0; i < n; i++) {
      r[i] = a[off + i];
    }
    return r;
  }
}
