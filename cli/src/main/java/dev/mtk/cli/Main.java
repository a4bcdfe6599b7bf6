package dev.mtk.cli;

import dev.mtk.core.kernel.KernelProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mtk} command: one subcommand per job; errors become one line, not a stack trace. */
@Command(
    name = "mtk",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Matryoshka Toolkit: train, measure and search Matryoshka embeddings on a CPU.",
    footer = {
        "",
        "The launcher itself also takes:",
        "  ./mtk build    compile everything (tests skipped)",
        "  ./mtk test     run the whole test suite",
        "  ./mtk jmh ARGS the JMH suites beside their peers (./mtk jmh Gemm -p n=1024)",
        "  ./mtk peers embed --model DIR  a text model beside ONNX Runtime, alternating",
        "  ./mtk spark …  embedding, sharded indexes and sweeps on Apache Spark (built",
        "                 on first use; docs/SPARK.md)",
        "",
        "Environment: MTK_DEBUG=1 shows stack traces; MTK_JAVA_OPTS takes JVM",
        "options: -Dmtk.simd=off|128|256|512 (kernel width), -Dmtk.threads=N.",
        "",
        "Output: results go to stdout (with --json, one JSON object on its last",
        "line); progress and notes go to stderr. The launcher hides the JVM's notice",
        "that the SIMD kernels use an incubator module (\"WARNING: Using incubator",
        "modules: jdk.incubator.vector\"); MTK_JVM_WARNINGS=1 shows it. After each",
        "build it records a start-up cache (cli/target/mtk.aot, ~0.1-0.2 s off",
        "every start); MTK_STARTUP_CACHE=0 runs without."
    })
public final class Main extends Shared.Group {

  private static final List<Class<?>> COMMANDS = List.of(QuickstartCommand.class,
      TokenizerCommand.class, CorpusCommand.class, ModelCommand.class, EmbedCommand.class,
      TrainCommand.class, EvalCommand.class, ClassifyCommand.class, QueryCommand.class, IndexCommand.class,
      ServeCommand.class,
      TokenizeCommand.class, CodebookCommand.class, BenchCommand.class, StartupCacheCommand.class,
      CommandLine.HelpCommand.class);

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** The one line for a command that ran out of heap: how big the heap was, and how to grow it. */
  static String outOfMemory() {
    return String.format(java.util.Locale.ROOT, "out of memory: the JVM's heap is %,d MB (by default "
        + "a quarter of RAM); give it more with MTK_JAVA_OPTS=-Xmx%dg, or work in smaller pieces "
        + "(fewer or shorter inputs, a smaller --batch)", Runtime.getRuntime().maxMemory() >> 20,
        Math.max(2, 2 * ((Runtime.getRuntime().maxMemory() >> 30) + 1)));
  }

  /** Runs the command line and returns the exit code (tests call this). */
  public static int run(String... args) {
    try {
      return execute(args);
    } catch (OutOfMemoryError e) {
      if (System.getenv("MTK_DEBUG") != null) {
        e.printStackTrace();
      }
      System.err.println("mtk: error: " + outOfMemory());
      return 1;
    }
  }

  private static int execute(String... args) {
    CommandLine cli = new CommandLine(new Main());
    // picocli builds every command it is given (reflection over each option): given only the one
    // named, a one-shot command such as query starts ~0.1 s sooner; help and typos see them all
    String first = args.length > 0 ? args[0] : "";
    List<Class<?>> all = new java.util.ArrayList<>(COMMANDS);
    for (MoreCommands more : java.util.ServiceLoader.load(MoreCommands.class)) {
      all.addAll(all.size() - 1, more.commands());
    }
    List<Class<?>> named = all.stream()
        .filter(c -> c.getAnnotation(Command.class).name().equals(first) && !first.equals("help")).toList();
    for (Class<?> c : named.isEmpty() ? all : named) {
      cli.addSubcommand(c.getAnnotation(Command.class).name(), c);
    }
    cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      if (System.getenv("MTK_DEBUG") != null) {
        ex.printStackTrace();
      }
      String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
      cmd.getErr().println("mtk: error: " + msg);
      return 1;
    });
    return cli.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
          "mtk " + projectVersion(),
          "JDK " + Runtime.version() + " (" + System.getProperty("java.vendor") + ", "
              + System.getProperty("java.home") + ")",
          "SIMD " + KernelProvider.description(),
          "threads " + dev.mtk.core.parallel.WorkerPool.defaultThreads()
      };
    }
  }

  static String projectVersion() {
    try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
