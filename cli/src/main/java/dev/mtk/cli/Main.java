package dev.mtk.cli;

import dev.mtk.core.kernel.KernelProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mtk} command: one subcommand per job; errors become one line, not a stack trace. */
@Command(
    name = "mtk",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Matryoshka Toolkit: train, measure and search Matryoshka embeddings on a CPU.",
    subcommands = {QuickstartCommand.class, TokenizerCommand.class, CorpusCommand.class, ModelCommand.class,
        EmbedCommand.class, TrainCommand.class, EvalCommand.class, QueryCommand.class, IndexCommand.class, TokenizeCommand.class, CodebookCommand.class,
        BenchCommand.class,
        CommandLine.HelpCommand.class},
    footer = {
        "",
        "The launcher itself also takes:",
        "  ./mtk build    compile everything (tests skipped)",
        "  ./mtk test     run the whole test suite",
        "  ./mtk jmh ARGS the JMH suites beside their peers (./mtk jmh Gemm -p n=1024)",
        "",
        "Environment: MTK_DEBUG=1 shows stack traces; MTK_JAVA_OPTS takes JVM",
        "options: -Dmtk.simd=off|128|256|512 (kernel width), -Dmtk.threads=N.",
        "",
        "Output: results go to stdout (with --json, one JSON object on its last",
        "line); progress and notes go to stderr. The launcher hides the JVM's notice",
        "that the SIMD kernels use an incubator module (\"WARNING: Using incubator",
        "modules: jdk.incubator.vector\"); MTK_JVM_WARNINGS=1 shows it."
    })
public final class Main implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (tests call this). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
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
