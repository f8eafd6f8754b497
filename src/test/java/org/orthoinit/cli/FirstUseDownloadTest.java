package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.data.ArchiveSpec;

/**
 * figure7 without --data on a machine without CIFAR-10: it downloads the archive into the cache
 * first (here from a local HTTP server, an archive of the test's own with its MD5), or, offline,
 * stops with one line naming the URL, the cache and --data, writing nothing.
 */
class FirstUseDownloadTest {

  @TempDir
  Path tmp;

  private HttpServer server;
  private final DataOptions.Source official = DataOptions.source;
  private final AtomicInteger requests = new AtomicInteger();

  @AfterEach
  void restore() {
    DataOptions.source = official;
    if (server != null) {
      server.stop(0);
    }
  }

  /** A tar.gz of cifar-10-batches-bin/ with 60 training and 20 test images, and its spec. */
  private Map.Entry<byte[], ArchiveSpec> archive() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("made"), 60, 20);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Map<String, Long> files = new LinkedHashMap<>();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(
        new GzipCompressorOutputStream(bytes))) {
      try (Stream<Path> s = Files.list(data)) {
        for (Path f : s.sorted().toList()) {
          String name = f.getFileName().toString();
          if (!name.endsWith(".bin")) {
            continue;
          }
          TarArchiveEntry e = new TarArchiveEntry("cifar-10-batches-bin/" + name);
          e.setSize(Files.size(f));
          tar.putArchiveEntry(e);
          tar.write(Files.readAllBytes(f));
          tar.closeArchiveEntry();
          files.put(name, Files.size(f));
        }
      }
    }
    byte[] body = bytes.toByteArray();
    String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(body));
    return Map.entry(body, new ArchiveSpec("cifar-10-binary.tar.gz", md5, "cifar-10-batches-bin",
        files));
  }

  private URI serve(byte[] body) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/cifar-10-binary.tar.gz", exchange -> {
      requests.incrementAndGet();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort()
        + "/cifar-10-binary.tar.gz");
  }

  private static Cli figure7(Path out, String... more) {
    String[] args = Stream.concat(Stream.of("figure7", "--preset", "smoke", "--layers", "0",
        "--inits", "xavier", "--repeats", "1", "--epochs", "1", "--device", "cpu", "--out",
        out.toString()), Stream.of(more)).toArray(String[]::new);
    return Cli.run(args);
  }

  @Test
  void withoutDataTheFirstRunDownloadsChecksAndRunsAndTheSecondDoesNot() throws Exception {
    var archive = archive();
    Path cache = tmp.resolve("cache");
    DataOptions.source = new DataOptions.Source(cache, serve(archive.getKey()), archive.getValue());
    Cli r = figure7(tmp.resolve("f7"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("orthoinit: CIFAR-10 is not in " + cache + ": downloading "
        + DataOptions.source.url() + " (163 MB, MD5-checked"), r.err());
    assertTrue(r.out().contains("figure7: training on 60 images from " + cache
        + "/cifar-10-batches-bin"), r.out());
    assertTrue(r.out().contains("L0_xavier_r0: ok"), r.out());
    assertEquals(1, requests.get());
    assertTrue(Files.exists(cache.resolve("cifar-10-batches-bin").resolve("data_batch_1.bin")));

    Cli again = figure7(tmp.resolve("f7b"));
    assertEquals(0, again.code(), again.err());
    assertFalse(again.err().contains("downloading"), again.err());
    assertEquals(1, requests.get(), "a prepared cache is used as it is");
  }

  @Test
  void offlineItSaysWhatToDoAndWritesNothing() throws Exception {
    Path cache = tmp.resolve("cache");
    Path out = tmp.resolve("f7");
    // a port nothing listens on: the connection is refused, as on a machine without network
    URI nowhere = URI.create("http://127.0.0.1:9/cifar-10-binary.tar.gz");
    DataOptions.source = new DataOptions.Source(cache, nowhere, ArchiveSpec.CIFAR10);
    Cli r = figure7(out);
    assertEquals(1, r.code(), r.err());
    String last = r.lastErrLine();
    assertTrue(last.startsWith("figure7: " + nowhere + ": download into " + cache + " failed ("),
        last);
    assertTrue(last.endsWith("check the network or pass --data DIR"), last);
    assertFalse(Files.exists(out), "no results folder");
    try (Stream<Path> s = Files.list(cache)) {
      assertEquals(0, s.count(), "nothing half-downloaded in the cache");
    }
  }

  @Test
  void noDownloadRefusesInstead() {
    Path cache = tmp.resolve("cache");
    DataOptions.source = new DataOptions.Source(cache, URI.create("http://127.0.0.1:9/x.tar.gz"),
        ArchiveSpec.CIFAR10);
    Cli r = figure7(tmp.resolve("f7"), "--no-download");
    assertEquals(1, r.code(), r.err());
    assertEquals("figure7: " + cache + ": holds no CIFAR-10 and --no-download was given; pass "
        + "--data DIR, run 'orthoinit download', or leave out --no-download", r.lastErrLine());
    assertFalse(Files.exists(tmp.resolve("f7")));
  }
}
