package dev.mtk.models.onnx;

/**
 * An ONNX file mtk cannot read or cannot run: says which file, where in it (a protobuf field, an
 * initializer, a node) and what is wrong, in one line.
 */
public final class OnnxFormatException extends IllegalArgumentException {

  public OnnxFormatException(String file, String where, String problem) {
    super(file + ": " + where + ": " + problem);
  }
}
