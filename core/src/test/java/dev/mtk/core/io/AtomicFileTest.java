package dev.mtk.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic writes: the old file or the new one, and no temporary file left after the next write. */
class AtomicFileTest {

  static List<String> names(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aFailedWriteKeepsTheOldFileAndLeavesNoTemporary(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("a.bin");
    AtomicFile.write(f, new byte[] {1, 2, 3});
    assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
      out.write(9);
      throw new IOException("disk full");
    }));
    assertEquals(3, Files.size(f));
    assertEquals(List.of("a.bin"), names(dir));
  }

  @Test
  void theNextWriteRemovesWhatADeadWriterLeftButNotWhatALiveOneWrites(@TempDir Path dir)
      throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path f = dir.resolve("index.mtk");
    Path stale = dir.resolve(".index.mtk." + gone.pid() + ".123.tmp");
    Path live = dir.resolve(".index.mtk." + ProcessHandle.current().pid() + ".456.tmp");
    Path other = dir.resolve(".other.mtk." + gone.pid() + ".1.tmp");
    Files.write(stale, new byte[100]);
    Files.write(live, new byte[10]);
    Files.write(other, new byte[10]);
    AtomicFile.write(f, new byte[] {7});
    assertTrue(!Files.exists(stale), "a killed writer's temporary file is removed");
    assertTrue(Files.exists(live), "a running writer's is not");
    assertTrue(Files.exists(other), "nor another target's");
  }

  @Test
  void aFailingDiskIsReportedWithTheFileBeingWritten(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("results.json");
    var full = new java.io.OutputStream() {
      @Override
      public void write(int b) throws IOException {
        throw new IOException("No space left on device");
      }
    };
    IOException e = assertThrows(IOException.class, () -> AtomicFile.naming(full, f).write(new byte[8], 0, 8));
    assertEquals("writing " + f + ": No space left on device (nothing was replaced)", e.getMessage());
    // the body's own failures (an input that cannot be read, say) pass unchanged
    IOException own = assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
      throw new IOException("input.jsonl: unreadable");
    }));
    assertEquals("input.jsonl: unreadable", own.getMessage());
  }
}
