package dev.mtk.core.kernel;

/**
 * The two GELU formulas in use. ERF is the exact x·Φ(x) (PyTorch's default, BERT); TANH is the
 * approximation 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) used by GPT-2 and
 * {@code approximate='tanh'}.
 */
public enum GeluForm {
  ERF,
  TANH
}
