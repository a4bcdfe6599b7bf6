package dev.mtk.cli;

import java.util.List;

/**
 * Commands that live in another module and join {@code mtk} when that module is on the class path
 * (a {@link java.util.ServiceLoader} provider): {@code mtk spark …} comes from the spark module,
 * so that the everyday commands neither load nor need Spark.
 */
public interface MoreCommands {

  /** picocli command classes, each with its {@code @Command(name = …)}. */
  List<Class<?>> commands();
}
