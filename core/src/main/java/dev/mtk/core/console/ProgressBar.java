package dev.mtk.core.console;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr for long work: phase, bar, count, rate and ETA, redrawn at
 * most ten times a second. When stderr is not a terminal (CI, pipes) it prints nothing until
 * {@link #finish}, which always prints one summary line.
 */
public final class ProgressBar {

  private final PrintStream out;
  private final boolean live;
  private final String unit;
  private final long started = System.nanoTime();
  private long lastDraw;
  private String phase = "";
  private boolean drawn;

  public ProgressBar(String unit) {
    this(System.err, System.console() != null, unit);
  }

  ProgressBar(PrintStream out, boolean live, String unit) {
    this.out = out;
    this.live = live;
    this.unit = unit;
  }

  /** Reports progress; total 0 means unknown. Cheap enough to call in a loop. */
  public synchronized void update(String phase, long done, long total) {
    long now = System.nanoTime();
    boolean phaseChanged = !phase.equals(this.phase);
    this.phase = phase;
    if (!live || (!phaseChanged && now - lastDraw < 100_000_000L && done != total)) {
      return;
    }
    lastDraw = now;
    double secs = (now - started) / 1e9;
    StringBuilder line = new StringBuilder("\r").append(phase).append(' ');
    if (total > 0) {
      int width = 30;
      int filled = (int) Math.min(width, width * done / Math.max(1, total));
      line.append('[').append("#".repeat(filled)).append(" ".repeat(width - filled)).append("] ");
      line.append(done).append('/').append(total).append(' ').append(unit);
      double rate = done / Math.max(1e-9, secs);
      if (done > 0 && done < total) {
        line.append(String.format(Locale.ROOT, ", ETA %.0f s", (total - done) / rate));
      }
    } else {
      line.append(done).append(' ').append(unit);
    }
    line.append(String.format(Locale.ROOT, " (%.1f s)", secs)).append("\u001b[K");
    out.print(line);
    out.flush();
    drawn = true;
  }

  /** One line that stays above the bar (which redraws on the next update). */
  public synchronized void note(String message) {
    if (drawn) {
      out.print("\r\u001b[K");
      drawn = false;
      phase = "";
    }
    out.println(message);
    out.flush();
  }

  /** Ends the bar with one line that stays. */
  public synchronized void finish(String summary) {
    if (drawn) {
      out.print("\r\u001b[K");
    }
    out.println(summary);
    out.flush();
  }
}
