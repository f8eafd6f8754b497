package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PytorchResultsTest {

  @TempDir
  Path tmp;

  /** [2, repeats, depths, epochs] with value i*1000 + r*100 + d*10 + e. */
  static Path seedArray(Path file, int repeats, int depths, int epochs) throws Exception {
    double[] v = new double[2 * repeats * depths * epochs];
    int k = 0;
    for (int i = 0; i < 2; i++) {
      for (int r = 0; r < repeats; r++) {
        for (int d = 0; d < depths; d++) {
          for (int e = 0; e < epochs; e++) {
            v[k++] = i * 1000 + r * 100 + d * 10 + e;
          }
        }
      }
    }
    Npy.writeDoubles(file, v, 2, repeats, depths, epochs);
    return file;
  }

  @Test
  void theSeedsArrayPutsNovelFirstAndXavierSecond() throws Exception {
    Path f = seedArray(tmp.resolve("novelinit_conv.npy"), 3, 2, 4);
    PytorchResults.Curves c = PytorchResults.read(f, List.of(15, 75));
    assertArrayEquals(new double[] {110, 111, 112, 113}, c.get(75, "svd")[1]);
    assertArrayEquals(new double[] {1200, 1201, 1202, 1203}, c.get(15, "xavier")[2]);
    assertEquals(3, c.get(15, "svd").length);
  }

  @Test
  void aCsvGivesTheSameCurves() throws Exception {
    Path f = Files.writeString(tmp.resolve("torch.csv"), """
        init,layers,repeat,epoch,loss
        xavier,15,0,1,2.30
        xavier,15,0,2,2.10
        novel,15,0,1,2.20
        novel,15,0,2,1.90
        xavier,15,1,2,2.00
        xavier,15,1,1,2.31
        """);
    PytorchResults.Curves c = PytorchResults.read(f, null);
    assertArrayEquals(new double[] {2.31, 2.00}, c.get(15, "xavier")[1]);
    assertArrayEquals(new double[] {2.20, 1.90}, c.get(15, "svd")[0]);
  }

  private String refusal(String name, String content) throws Exception {
    Path f = Files.writeString(tmp.resolve(name), content);
    InteropException e = assertThrows(InteropException.class,
        () -> PytorchResults.read(f, List.of(15)));
    assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
    return e.getMessage().substring(f.toString().length() + 2);
  }

  @Test
  void badCsvRowsAreRefusedNamingTheLine() throws Exception {
    String h = "init,layers,repeat,epoch,loss\n";
    assertEquals("line 1: expected the header init,layers,repeat,epoch,loss, got 'a,b'",
        refusal("a.csv", "a,b\n"));
    assertEquals("line 2: expected 5 fields, got 4 in 'xavier,15,0,1'",
        refusal("b.csv", h + "xavier,15,0,1\n"));
    assertEquals("line 2: unknown init 'lsuv' (xavier, svd, novel or orthogonal)",
        refusal("c.csv", h + "lsuv,15,0,1,2.3\n"));
    assertEquals("line 3: not a number in 'xavier,15,0,2,abc'",
        refusal("d.csv", h + "xavier,15,0,1,2.3\nxavier,15,0,2,abc\n"));
    assertEquals("line 3: a second loss for xavier, 15 layers, repeat 0, epoch 1",
        refusal("e.csv", h + "xavier,15,0,1,2.3\nxavier,15,0,1,2.2\n"));
    assertEquals("line 2: out of range in 'xavier,15,0,0,2.3' (layers 0..1000, repeat >= 0, "
        + "epoch >= 1, finite loss)", refusal("f.csv", h + "xavier,15,0,0,2.3\n"));
    assertEquals("line 2: out of range in 'xavier,1001,0,1,2.3' (layers 0..1000, repeat >= 0, "
        + "epoch >= 1, finite loss)", refusal("f2.csv", h + "xavier,1001,0,1,2.3\n"));
    assertEquals("xavier, 15 layers, repeat 0: epochs are not 1..2",
        refusal("g.csv", h + "xavier,15,0,1,2.3\nxavier,15,0,3,2.2\n"));
    assertEquals("xavier, 15 layers: repeat 1 has 1 epochs, repeat 0 has 2; every repeat needs "
        + "the same epochs", refusal("j.csv", h + "xavier,15,0,1,2.3\nxavier,15,0,2,2.2\n"
        + "xavier,15,1,1,2.3\n"));
    assertEquals("xavier, 15 layers: repeat 1 has 3 epochs, repeat 0 has 2; every repeat needs "
        + "the same epochs", refusal("k.csv", h + "xavier,15,0,1,2.3\nxavier,15,0,2,2.2\n"
        + "xavier,15,1,1,2.3\nxavier,15,1,2,2.2\nxavier,15,1,3,2.1\n"));
    assertEquals("holds no rows after the header", refusal("h.csv", h));
    assertEquals("line 1: expected the header init,layers,repeat,epoch,loss, got an empty file",
        refusal("i.csv", ""));
  }

  @Test
  void npyOfTheWrongDtypeShapeOrRankIsRefused() throws Exception {
    Path ints = tmp.resolve("ints.npy");
    Npy.writeLongs(ints, new long[8], 2, 1, 1, 4);
    var e = assertThrows(InteropException.class, () -> PytorchResults.read(ints, List.of(15)));
    assertEquals(ints + ": dtype <i8, expected <f8 (float64)", e.getMessage());
    Path rank = tmp.resolve("rank.npy");
    Npy.writeDoubles(rank, new double[8], 2, 4);
    e = assertThrows(InteropException.class, () -> PytorchResults.read(rank, List.of(15)));
    assertTrue(e.getMessage().contains("shape [2, 4], expected [2, repeats, 1, epochs]"),
        e.getMessage());
    Path depths = seedArray(tmp.resolve("depths.npy"), 2, 2, 3);
    e = assertThrows(InteropException.class, () -> PytorchResults.read(depths, List.of(15)));
    assertTrue(e.getMessage().contains("shape [2, 2, 2, 3], expected [2, repeats, 1, epochs]"),
        e.getMessage());
    e = assertThrows(InteropException.class, () -> PytorchResults.read(depths, null));
    assertEquals(depths + ": the seed's array needs --layers naming its depths", e.getMessage());
  }
}
