package dev.mtk.spark.cli;

import dev.mtk.cli.MoreCommands;
import java.util.List;

/** Adds {@code mtk spark} to the command line when this module is on the class path. */
public final class SparkCommands implements MoreCommands {
  @Override
  public List<Class<?>> commands() {
    return List.of(SparkCommand.class);
  }
}
