package dev.mtk.spark;

import org.apache.spark.sql.SparkSession;

/** The Spark session an mtk job runs in: the master asked for, quiet logs, no web UI by default. */
public final class Sessions {

  /** The default master: every core of this machine, as one local executor. */
  public static final String LOCAL = "local[*]";

  private Sessions() {}

  /**
   * A session on {@code master} (local[N], local[N,F] to retry failed tasks F times,
   * spark://HOST:7077, yarn, k8s://…). The web UI stays off unless spark.ui.enabled is set.
   */
  public static SparkSession start(String master, String app) {
    // before Spark's first log line: warnings only (Spark's own default is INFO)
    if (System.getProperty("log4j2.configurationFile") == null
        && System.getProperty("log4j.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:dev/mtk/spark/log4j2-mtk.properties");
    }
    SparkSession.Builder b = SparkSession.builder().appName(app);
    if (master != null) {
      b = b.master(master);
    }
    if (System.getProperty("spark.ui.enabled") == null) {
      b = b.config("spark.ui.enabled", "false");
    }
    if (master != null && master.startsWith("local")) {
      // one machine: no need to find the host's network name (and warn when it is loopback)
      b = b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
    }
    return b.getOrCreate();
  }

  /**
   * The threads an executor's mtk work may use: spark.mtk.threads when set, else the cores of a
   * local master, else spark.executor.cores, else all of the machine's cores.
   */
  public static int executorThreads(org.apache.spark.SparkConf conf) {
    if (conf.contains("spark.mtk.threads")) {
      return Math.max(1, conf.getInt("spark.mtk.threads", 1));
    }
    String master = conf.get("spark.master", "");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+)(,\\d+)?]").matcher(master);
    if (m.matches()) {
      return Math.max(1, Integer.parseInt(m.group(1)));
    }
    if (conf.contains("spark.executor.cores")) {
      return Math.max(1, conf.getInt("spark.executor.cores", 1));
    }
    return dev.mtk.core.parallel.WorkerPool.defaultThreads();
  }
}
