package dev.mtk.training.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.tokenizers.audio.Audio;
import dev.mtk.tokenizers.audio.Resampler;
import dev.mtk.tokenizers.audio.WavReader;
import dev.mtk.tokenizers.audio.WavWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A labelled spoken-word set made offline: each word said by Debian's speech synthesisers
 * (espeak-ng with its English voices and voice variants, flite with its voices) at a drawn speed
 * and pitch, then changed as recordings differ — played faster or slower (tempo and pitch move
 * together, as resampling moves them), louder or quieter, shifted in time, with white noise at a
 * drawn signal-to-noise ratio — and written as 16 kHz mono WAV with a JSON Lines manifest.
 * Every clip's choices come from the seed, the word and the clip's number alone, so a set is the
 * same bytes for any thread count (and the synthesisers are deterministic).
 *
 * <p>The default words are those of which Debian's asterisk-core-sounds-en-wav holds a real
 * recording (one speaker, 8 kHz): the ten digits and the 26 words of the phonetic alphabet. Those
 * recordings are never trained on: they are the test set ({@link #real}) that says whether a model
 * learned speech or the synthesiser.
 */
public final class SpokenWords {

  /** A word as written (its label and text), and its recording under {@link #ASTERISK} (null: none). */
  public record Word(String text, String asterisk) {}

  /** Where asterisk-core-sounds-en-wav puts its English prompts. */
  public static final Path ASTERISK = Path.of("/usr/share/asterisk/sounds/en");

  private static final String[] DIGITS = {"zero", "one", "two", "three", "four", "five", "six", "seven",
      "eight", "nine"};
  private static final String[] PHONETIC = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
      "hotel", "india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
      "sierra", "tango", "uniform", "victor", "whiskey", "x-ray", "yankee", "zulu"};

  /** The digits and the phonetic alphabet, with their Asterisk recordings. */
  public static List<Word> defaultWords() {
    List<Word> out = new ArrayList<>();
    for (int i = 0; i < DIGITS.length; i++) {
      out.add(new Word(DIGITS[i], "digits/" + i + ".wav"));
    }
    for (int i = 0; i < PHONETIC.length; i++) {
      out.add(new Word(PHONETIC[i], "phonetic/" + (char) ('a' + i) + "_p.wav"));
    }
    return out;
  }

  /** espeak-ng's English voices (its gmw folder) and the voice variants drawn among. */
  static final String[] ESPEAK_VOICES = {"en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
      "en-gb-x-gbcwmd", "en-029", "en-us-nyc"};
  static final String[] ESPEAK_VARIANTS = {"", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4",
      "f5", "klatt", "klatt2", "klatt3", "Alex", "Andrea", "Andy", "Annie", "Denis", "Gene", "Jacky", "Lee",
      "Michael", "Mike", "adam", "anika", "announcer", "aunty", "belinda", "benjamin", "boris", "caleb",
      "david", "ed", "edward", "grandma", "grandpa", "john", "linda", "max", "michel", "norbert", "paul"};
  static final String[] FLITE_VOICES = {"kal", "kal16", "awb", "rms", "slt"};
  /** The rate clips are written at. */
  public static final int RATE = 16_000;

  /**
   * @param perWord clips of each word
   * @param threads synthesiser processes at once
   */
  public record Settings(List<Word> words, int perWord, long seed, int threads) {
    public Settings {
      words = List.copyOf(words);
      if (words.size() < 2) {
        throw new IllegalArgumentException("a spoken-word set needs at least 2 words, got " + words.size());
      }
      if (perWord < 1 || perWord > 100_000) {
        throw new IllegalArgumentException("--per-word must be 1 to 100000, got " + perWord);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
    }
  }

  /** Hears how many clips are done. */
  public interface Progress {
    void clips(int done, int total);
  }

  /** What was written: the manifests and how many clips of each kind. */
  public record Result(Path manifest, Path synthetic, int clips, int real) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private SpokenWords() {}

  /**
   * Writes {@code out}/clips/WORD/NNNN.wav, {@code out}/synthetic.jsonl (the synthetic clips, one
   * in twenty to dev and one in twenty to test, the rest train) and {@code out}/manifest.jsonl:
   * the synthetic clips as train and dev, and the real recordings of the words that have one as
   * test — or, without the package, the same as synthetic.jsonl.
   */
  public static Result generate(Settings s, Path out, Progress progress) throws IOException {
    requireTool("espeak-ng", "espeak-ng");
    requireTool("flite", "flite");
    Files.createDirectories(out);
    Path scratch = Files.createTempDirectory(out, ".synth");
    int total = s.words().size() * s.perWord();
    List<ObjectNode> lines = new ArrayList<>(java.util.Collections.nCopies(total, null));
    ExecutorService pool = Executors.newFixedThreadPool(s.threads());
    try {
      List<Future<?>> jobs = new ArrayList<>();
      for (int w = 0; w < s.words().size(); w++) {
        for (int k = 0; k < s.perWord(); k++) {
          int word = w, clip = k, at = w * s.perWord() + k;
          jobs.add(pool.submit(() -> {
            lines.set(at, clip(s, s.words().get(word), word, clip, out, scratch));
            return null;
          }));
        }
      }
      int done = 0;
      for (Future<?> f : jobs) {
        try {
          f.get();
        } catch (ExecutionException e) {
          Throwable c = e.getCause();
          if (c instanceof IOException io) {
            throw io;
          }
          if (c instanceof RuntimeException r) {
            throw r;
          }
          throw new IOException(c);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
        done++;
        if (done % Math.max(1, total / 20) == 0 || done == total) {
          progress.clips(done, total);
        }
      }
    } finally {
      pool.shutdownNow();
      try {
        pool.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      deleteTree(scratch);
    }
    StringBuilder synth = new StringBuilder(), manifest = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      ObjectNode o = lines.get(i);
      int k = i % s.perWord();
      synth.append(JSON.writeValueAsString(o.deepCopy().put("split", k % 20 == 0 ? "dev" : k % 20 == 1 ? "test" : "train"))).append('\n');
      manifest.append(JSON.writeValueAsString(o.deepCopy().put("split", k % 20 == 0 ? "dev" : "train"))).append('\n');
    }
    List<ObjectNode> real = real(s.words());
    for (ObjectNode o : real) {
      manifest.append(JSON.writeValueAsString(o)).append('\n');
    }
    Path synthetic = out.resolve("synthetic.jsonl"), all = out.resolve("manifest.jsonl");
    AtomicFile.write(synthetic, synth.toString().getBytes(StandardCharsets.UTF_8));
    AtomicFile.write(all, (real.isEmpty() ? synth : manifest).toString().getBytes(StandardCharsets.UTF_8));
    return new Result(all, synthetic, total, real.size());
  }

  /**
   * The real recordings of the words that have one (absolute paths, split test, voice
   * "asterisk"); empty when asterisk-core-sounds-en-wav is not installed.
   */
  public static List<ObjectNode> real(List<Word> words) {
    List<ObjectNode> out = new ArrayList<>();
    for (Word w : words) {
      if (w.asterisk() == null) {
        continue;
      }
      Path f = ASTERISK.resolve(w.asterisk());
      if (Files.isRegularFile(f)) {
        out.add(JSON.createObjectNode().put("audio", f.toString()).put("label", w.text()).put("text", w.text())
            .put("voice", "asterisk").put("split", "test"));
      }
    }
    return out;
  }

  /** The line that says how to get the real recordings. */
  public static final String REAL_MISSING = "the real recordings are not installed: sudo apt-get install "
      + "asterisk-core-sounds-en-wav (Debian, Ubuntu)";

  /** Words from a file: one per line, optionally followed by a TAB and its path under {@link #ASTERISK}. */
  public static List<Word> readWords(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such words file (one word per line)");
    }
    List<Word> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\t", 2);
      String word = parts[0].strip();
      if (!word.matches("[\\p{L}\\p{N}' -]{1,64}")) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": a word is letters, digits, spaces, "
            + "hyphens or apostrophes (up to 64), not '" + word + "'");
      }
      if (!seen.add(word)) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": '" + word + "' again");
      }
      out.add(new Word(word, parts.length > 1 && !parts[1].isBlank() ? parts[1].strip() : null));
    }
    return out;
  }

  /** One clip: synthesised, changed, written; its manifest line (without a split). */
  private static ObjectNode clip(Settings s, Word word, int w, int k, Path out, Path scratch) throws IOException {
    SplittableRandom rnd = new SplittableRandom(s.seed() * 0x9E3779B97F4A7C15L + w * 1_000_003L + k);
    Path tmp = scratch.resolve(w + "-" + k + ".wav");
    ObjectNode o = JSON.createObjectNode();
    List<String> cmd = new ArrayList<>();
    if (rnd.nextInt(4) < 3) { // three in four from espeak-ng: many more voices
      String voice = ESPEAK_VOICES[rnd.nextInt(ESPEAK_VOICES.length)];
      String variant = ESPEAK_VARIANTS[rnd.nextInt(ESPEAK_VARIANTS.length)];
      int speed = 110 + rnd.nextInt(91), pitch = 20 + rnd.nextInt(61);
      String v = variant.isEmpty() ? voice : voice + "+" + variant;
      cmd.addAll(List.of("espeak-ng", "-v", v, "-s", String.valueOf(speed), "-p", String.valueOf(pitch),
          "-w", tmp.toString(), "--", word.text()));
      o.put("voice", "espeak-ng " + v).put("speed_wpm", speed).put("pitch", pitch);
    } else {
      String voice = FLITE_VOICES[rnd.nextInt(FLITE_VOICES.length)];
      double stretch = 0.8 + 0.45 * rnd.nextDouble();
      int f0 = 80 + rnd.nextInt(121);
      cmd.addAll(List.of("flite", "-voice", voice, "--setf", String.format(Locale.ROOT, "duration_stretch=%.3f", stretch),
          "--setf", "int_f0_target_mean=" + f0, "-t", word.text(), "-o", tmp.toString()));
      o.put("voice", "flite " + voice).put("duration_stretch", Math.round(stretch * 1000) / 1000.0).put("f0", f0);
    }
    run(cmd);
    Audio a = WavReader.read(tmp);
    Files.deleteIfExists(tmp);
    // played faster or slower: the samples taken as if recorded at another rate
    double factor = 0.88 + 0.24 * rnd.nextDouble();
    a = Resampler.resample(new Audio(a.samples(), (int) Math.round(a.sampleRate() * factor)), RATE);
    float[] x = a.samples();
    double gain = 0.1 + 0.8 * rnd.nextDouble(), peak = 1e-9, energy = 0;
    for (float v : x) {
      peak = Math.max(peak, Math.abs(v));
      energy += (double) v * v;
    }
    int before = rnd.nextInt(RATE / 4), after = rnd.nextInt(RATE / 4);
    float[] y = new float[before + x.length + after];
    double scale = gain / peak, rms = Math.sqrt(energy / Math.max(1, x.length)) * scale;
    for (int i = 0; i < x.length; i++) {
      y[before + i] = (float) (x[i] * scale);
    }
    Double snr = null;
    if (rnd.nextInt(4) != 0) { // three in four noisy, 5 to 30 dB below the speech
      snr = 5 + 25 * rnd.nextDouble();
      double sigma = rms / Math.pow(10, snr / 20);
      for (int i = 0; i < y.length; i++) {
        y[i] = (float) Math.max(-1, Math.min(1, y[i] + sigma * rnd.nextGaussian()));
      }
    }
    String name = word.text().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", "-");
    Path rel = Path.of("clips", name, String.format(Locale.ROOT, "%04d.wav", k));
    Files.createDirectories(out.resolve(rel).getParent());
    WavWriter.write(out.resolve(rel), new Audio(y, RATE));
    o.put("rate_factor", Math.round(factor * 1000) / 1000.0).put("gain", Math.round(gain * 1000) / 1000.0);
    if (snr == null) {
      o.putNull("snr_db");
    } else {
      o.put("snr_db", Math.round(snr * 10) / 10.0);
    }
    ObjectNode line = JSON.createObjectNode().put("audio", rel.toString().replace('\\', '/')).put("label", word.text())
        .put("text", word.text());
    line.setAll(o);
    return line;
  }

  private static void run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] said = p.getInputStream().readAllBytes();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": no answer in 60 s");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (p.exitValue() != 0) {
      String msg = new String(said, StandardCharsets.UTF_8).strip();
      throw new IOException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + ")"
          + (msg.isEmpty() ? "" : ": " + msg.lines().findFirst().orElse("")));
    }
  }

  /** Whether espeak-ng and flite both run here (tests skip without them). */
  public static boolean synthesisersInstalled() {
    for (String t : new String[] {"espeak-ng", "flite"}) {
      try {
        requireTool(t, t);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    return true;
  }

  /** One line naming the package when a synthesiser is missing. */
  static void requireTool(String tool, String pkg) {
    try {
      Process p = new ProcessBuilder(tool, "--help").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(20, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IllegalArgumentException(tool + " is not installed: sudo apt-get install " + pkg
          + " (Debian, Ubuntu)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
