package dev.mtk.spark.cli;

/** The job jar's entry point for spark-submit: {@code mtk spark ARGS}, as ./mtk spark runs it. */
public final class SparkMain {
  private SparkMain() {}

  public static void main(String[] args) {
    String[] all = new String[args.length + 1];
    all[0] = "spark";
    System.arraycopy(args, 0, all, 1, args.length);
    System.exit(dev.mtk.cli.Main.run(all));
  }
}
