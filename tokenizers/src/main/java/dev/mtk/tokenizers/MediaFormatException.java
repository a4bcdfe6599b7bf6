package dev.mtk.tokenizers;

import java.io.IOException;
import java.nio.file.Path;

/** A media file that cannot be read: truncated, corrupt, or an encoding mtk does not decode. */
public final class MediaFormatException extends IOException {

  public MediaFormatException(Path file, String problem) {
    super((file == null ? "input" : file.toString()) + ": " + problem);
  }
}
