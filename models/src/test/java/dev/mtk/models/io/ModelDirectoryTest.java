package dev.mtk.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirectoryTest {

  static final EncoderConfig SMALL = new EncoderConfig(50, 16, 2, 32, 2, 8, 1e-5f, new int[] {4, 16});

  @Test
  void saveThenLoadGivesTheSameBits(@TempDir Path dir) throws Exception {
    Encoder e = Encoder.init(SMALL, 42);
    ModelDirectory.save(e, dir);
    Encoder back = ModelDirectory.load(dir);
    assertEquals(SMALL, back.config());
    assertArrayEquals(e.parameters().data(), back.parameters().data());
  }

  @Test
  void everyOptionSurvivesTheRoundTrip(@TempDir Path dir) throws Exception {
    EncoderConfig c = new EncoderConfig(1, 16, 2, 32, 1, 8, 1e-6f, new int[] {4, 8},
        EncoderConfig.Pooling.CLS, 0.1f, 8, 12);
    Encoder e = Encoder.init(c, 3);
    ModelDirectory.save(e, dir);
    Encoder back = ModelDirectory.load(dir);
    assertEquals(c, back.config());
    assertArrayEquals(e.parameters().data(), back.parameters().data());
    assertTrue(back.namedParameters().containsKey("embeddings.patch.weight"));
    assertTrue(back.namedParameters().containsKey("projection.weight"));
  }

  @Test
  void fileFollowsTheSafetensorsLayout(@TempDir Path dir) throws Exception {
    Encoder e = Encoder.init(SMALL, 1);
    ModelDirectory.save(e, dir);
    byte[] file = Files.readAllBytes(dir.resolve(ModelDirectory.WEIGHTS));
    long headerLen = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLen % 8);
    String header = new String(file, 8, (int) headerLen, StandardCharsets.UTF_8);
    assertTrue(header.contains("\"embeddings.token.weight\":{\"dtype\":\"F32\",\"shape\":[50,16],\"data_offsets\":[0,3200]}"), header);
    // metadata keys sorted, whatever the map's iteration order (Map.of's is salted per JVM)
    assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\",\"producer\":\"mtk\"}"), header);
    // the first float of the data is the first token embedding value, little-endian
    float first = ByteBuffer.wrap(file, (int) (8 + headerLen), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    assertEquals(e.parameter("embeddings.token.weight").values()[0], first);
    assertEquals(8 + headerLen + 4L * e.namedParameters().values().stream().mapToInt(t -> t.size()).sum(), file.length);
  }

  @Test
  void weightsWithANanAreRefusedByTensorName(@TempDir Path dir) throws Exception {
    Encoder e = Encoder.init(SMALL, 1);
    var t = e.parameter("final_ln.weight");
    t.data()[t.offset() + 2] = Float.NaN;
    ModelDirectory.save(e, dir);
    var err = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
    assertTrue(err.getMessage().contains("final_ln.weight") && err.getMessage().contains("NaN")
        && err.getMessage().contains("element 2"), err.getMessage());
  }

  @Test
  void corruptOrForeignFilesAreRefusedPlainly(@TempDir Path dir) throws Exception {
    Encoder e = Encoder.init(SMALL, 1);
    ModelDirectory.save(e, dir);
    Path w = dir.resolve(ModelDirectory.WEIGHTS);
    byte[] good = Files.readAllBytes(w);

    byte[] hostile = good.clone();
    ByteBuffer.wrap(hostile, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE / 2);
    Files.write(w, hostile);
    var ex = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
    assertTrue(ex.getMessage().contains("header length"), ex.getMessage());

    Files.write(w, java.util.Arrays.copyOf(good, good.length - 10));
    ex = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
    assertTrue(ex.getMessage().contains("data_offsets"), ex.getMessage());

    Files.write(w, good);
    Files.writeString(dir.resolve(ModelDirectory.CONFIG), Files.readString(dir.resolve(ModelDirectory.CONFIG))
        .replace("\"d_model\" : 16", "\"d_model\" : 32"));
    ex = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
    assertTrue(ex.getMessage().contains("shape"), ex.getMessage());

    Files.writeString(dir.resolve(ModelDirectory.CONFIG), "{\"vocab_size\": 10}");
    ex = assertThrows(IllegalArgumentException.class, () -> ModelDirectory.load(dir));
    assertTrue(ex.getMessage().contains("d_model"), ex.getMessage());
  }
}
