package dev.mtk.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that readers see either the old file or the complete new one, never half of
 * it: the content goes to a temporary file in the same directory, which is renamed over the target
 * only after the writer finished without error. A failed write leaves no temporary file behind,
 * nor does one stopped by SIGTERM or Ctrl-C (a shutdown hook removes the files being written);
 * a temporary file left by a process that was killed outright ({@code kill -9}, a power cut) is
 * removed by the next write to the same target: temporary names carry the writer's pid
 * ({@code .NAME.PID.RANDOM.tmp}), and a file whose pid no longer runs is stale.
 */
public final class AtomicFile {

  /** Temporary files being written now, removed if the JVM shuts down first. */
  private static final java.util.Set<Path> IN_FLIGHT = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Path p : IN_FLIGHT) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
          // shutting down: nothing more to do
        }
      }
    }, "mtk-temp-cleanup"));
  }

  /** The body writes the content; it may throw. */
  @FunctionalInterface
  public interface Writer {
    void write(OutputStream out) throws IOException;
  }

  /** The body writes the content through a channel it may seek in; it may throw. */
  @FunctionalInterface
  public interface ChannelWriter {
    void write(java.nio.channels.FileChannel out) throws IOException;
  }

  private AtomicFile() {}

  /**
   * As {@link #write(Path, Writer)}, for formats whose header is filled in last (checksums,
   * offsets): the body gets a channel on the temporary file, which is forced to disk before the
   * rename.
   */
  public static void writeChannel(Path target, ChannelWriter body) throws IOException {
    Path tmp = temporary(target);
    try {
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp,
          java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        body.write(ch);
        ch.force(true);
      } catch (IOException e) {
        // a full disk says "No space left on device" and nothing more: name what was being written
        if (e.getMessage() == null || !e.getMessage().contains(target.getFileName().toString())) {
          throw new IOException("writing " + target + ": " + e.getMessage() + " (nothing was replaced)", e);
        }
        throw e;
      }
      publish(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
      IN_FLIGHT.remove(tmp);
    }
  }

  /** A new temporary file beside target, after removing the stale ones of dead writers. */
  private static Path temporary(Path target) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    String prefix = "." + target.getFileName() + ".";
    try (var siblings = Files.newDirectoryStream(dir, prefix + "*.tmp")) {
      for (Path p : siblings) {
        String rest = p.getFileName().toString().substring(prefix.length());
        int dot = rest.indexOf('.');
        long pid;
        try {
          pid = dot > 0 ? Long.parseLong(rest.substring(0, dot)) : -1;
        } catch (NumberFormatException e) {
          pid = -1;
        }
        // an older mtk's temporary name (no pid) or a dead writer's: stale
        if (pid < 0 || ProcessHandle.of(pid).isEmpty()) {
          Files.deleteIfExists(p);
        }
      }
    }
    Path tmp = Files.createTempFile(dir, prefix + ProcessHandle.current().pid() + ".", ".tmp");
    IN_FLIGHT.add(tmp);
    return tmp;
  }

  private static void publish(Path tmp, Path target) throws IOException {
    // temporary files are private (rw-------); the result is an ordinary file
    if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  public static void write(Path target, Writer body) throws IOException {
    Path tmp = temporary(target);
    try {
      try (OutputStream out = new java.io.BufferedOutputStream(naming(Files.newOutputStream(tmp), target), 1 << 16)) {
        body.write(out);
      }
      publish(tmp, target);
    } finally {
      Files.deleteIfExists(tmp);
      IN_FLIGHT.remove(tmp);
    }
  }

  /**
   * The stream's own failures (a full disk says "No space left on device" and nothing more) with
   * the target's name; what the body throws passes as it is.
   */
  static OutputStream naming(OutputStream out, Path target) {
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          throw named(e);
        }
      }

      @Override
      public void write(int b) throws IOException {
        try {
          out.write(b);
        } catch (IOException e) {
          throw named(e);
        }
      }

      @Override
      public void close() throws IOException {
        try {
          out.close();
        } catch (IOException e) {
          throw named(e);
        }
      }

      private IOException named(IOException e) {
        return new IOException("writing " + target + ": " + e.getMessage() + " (nothing was replaced)", e);
      }
    };
  }

  public static void write(Path target, byte[] content) throws IOException {
    write(target, out -> out.write(content));
  }
}
