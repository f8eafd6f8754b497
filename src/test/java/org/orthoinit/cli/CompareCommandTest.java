package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.interop.Npy;

class CompareCommandTest {

  @TempDir
  Path tmp;

  private Path fixture() throws IOException, URISyntaxException {
    return Cli.figure7Fixture(tmp.resolve("f7"));
  }

  @Test
  void theSeedsArrayIsComparedEpochByEpoch() throws Exception {
    Path ours = fixture();
    // [results_novel, results_xavier] for depths 0 and 1, 2 repeats, 4 epochs: novel 2.302 flat;
    // xavier 3.0 (far outside our band)
    double[] v = new double[2 * 2 * 2 * 4];
    for (int k = 0; k < v.length; k++) {
      v[k] = k < 16 ? 2.3018 : 3.0;
    }
    Path npy = tmp.resolve("novelinit_conv.npy");
    Npy.writeDoubles(npy, v, 2, 2, 2, 4);
    Cli r = Cli.run("compare", "--pytorch", npy.toString(), "--ours", ours.toString(), "--layers",
        "0,1", "--band", "t");
    assertEquals(0, r.code(), r.err());
    // ours for 0 layers, svd, epoch 4: 2.3018 [2.3010, 2.3025]; PyTorch's two repeats have no
    // spread, so Welch's t has the spread of ours alone
    assertTrue(r.out().contains("0      svd           4    2.3018    2.3018   -0.0000   0.862  yes"),
        r.out());
    assertTrue(r.out().contains("0      xavier        4    2.3786    3.0000   -0.6214   0.001  no"),
        r.out());
    assertTrue(r.out().contains("0 layers xavier: DISTINGUISHABLE at the 5% level"), r.out());
    // 1 layer, svd: the smallest p, 0.013 at epoch 4, is 0.052 after Holm's correction
    assertTrue(r.out().contains("1 layers svd: not distinguishable at the 5% level (Welch's "
        + "t-test per epoch, 3 vs 2 repeats; smallest p 0.013 at epoch 4, x 4 epochs = 0.052"),
        r.out());
    assertTrue(Files.size(ours.resolve("compare_0.png")) > 1000);
    assertTrue(Files.exists(ours.resolve("compare.json")));
  }

  @Test
  void aCsvWorksToo() throws Exception {
    Path ours = fixture();
    Path csv = Files.writeString(tmp.resolve("torch.csv"),
        "init,layers,repeat,epoch,loss\nsvd,1,0,1,2.31\nsvd,1,0,2,2.30\n");
    Path out = tmp.resolve("cmp");
    Cli r = Cli.run("compare", "--pytorch", csv.toString(), "--ours", ours.toString(), "--out",
        out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("1      svd           2    2.3029    2.3000"), r.out());
    assertTrue(r.out().contains("1      svd           3    2.3024         -         -       -  -"),
        r.out());
    assertTrue(r.out().contains("1 layers svd: not tested (3 repeat(s) here, 1 in PyTorch's"),
        r.out());
    assertTrue(Files.exists(out.resolve("compare_1.svg")));
    assertFalse(Files.exists(ours.resolve("summary.json")), "--ours is only read");
  }

  @Test
  void aBadRowIsOneLineAndNothingIsWritten() throws Exception {
    Path ours = fixture();
    Path csv = Files.writeString(tmp.resolve("bad.csv"),
        "init,layers,repeat,epoch,loss\nsvd,1,0,1,oops\n");
    Path out = tmp.resolve("cmp");
    Cli r = Cli.run("compare", "--pytorch", csv.toString(), "--ours", ours.toString(), "--out",
        out.toString());
    assertEquals(1, r.code());
    assertEquals("compare: " + csv + ": line 2: not a number in 'svd,1,0,1,oops'",
        r.err().strip());
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(ours.resolve("summary.json")));
  }
}
