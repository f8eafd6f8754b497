package org.orthoinit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.orthoinit.data.Cifar10.RECORD_BYTES;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10DownloaderTest {

  private static final String FOLDER = Cifar10.BATCHES_FOLDER;
  private static final String ARCHIVE = Cifar10.ARCHIVE_NAME;
  private static final String MD5_OF_NOTHING_ELSE = "0123456789abcdef0123456789abcdef";
  private static final int HTTP_NOT_FOUND = 404;
  private static final int HTTP_OK = 200;

  @TempDir
  Path tmp;

  private final Cifar10Downloader downloader = new Cifar10Downloader();
  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();

  /** A tiny archive shaped like the official one: 2 training records, 1 test record, the meta file. */
  private static final byte[] TRAIN = FakeCifar.batch(0, 6, 9);
  private static final byte[] TEST = FakeCifar.batch(2, 3);
  private static final byte[] ARCHIVE_BYTES = FakeCifar.tarGz(entries(FOLDER + "/"));

  private static Map<String, byte[]> entries(String prefix) {
    Map<String, byte[]> entries = new LinkedHashMap<>();
    entries.put(prefix + "data_batch_1.bin", TRAIN);
    entries.put(prefix + "test_batch.bin", TEST);
    entries.put(prefix + "batches.meta.txt", String.join("\n", Cifar10.CLASS_NAMES).getBytes());
    return entries;
  }

  private static ArchiveSpec spec(String md5) {
    Map<String, Long> files = new LinkedHashMap<>();
    files.put("data_batch_1.bin", (long) 2 * RECORD_BYTES);
    files.put("test_batch.bin", (long) RECORD_BYTES);
    return new ArchiveSpec(ARCHIVE, md5, FOLDER, files);
  }

  private static final ArchiveSpec SPEC = spec(FakeCifar.md5(ARCHIVE_BYTES));

  /** Records every event. */
  private static final class Recorder implements DownloadListener {
    final List<Long> starts = new ArrayList<>();
    long advanced;
    int finishes;

    @Override
    public void start(long totalBytes) {
      starts.add(totalBytes);
    }

    @Override
    public void advance(long bytes) {
      assertEquals(1, starts.size(), "advance after start");
      advanced += bytes;
    }

    @Override
    public void finish() {
      finishes++;
    }
  }

  /** Serves body at /cifar.tar.gz with the given status, counting requests; returns its URI. */
  private URI serve(int status, byte[] body) throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/cifar.tar.gz", exchange -> {
      requests.incrementAndGet();
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/cifar.tar.gz");
  }

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void assertPrepared(Path cache, Path folder) throws Exception {
    assertEquals(cache.resolve(FOLDER), folder);
    assertArrayEquals(new int[] {6, 9}, Cifar10.load(cache, Cifar10.Split.TRAIN).labels());
    assertArrayEquals(new int[] {3}, Cifar10.load(folder, Cifar10.Split.TEST).labels());
    assertArrayEquals(TRAIN, Files.readAllBytes(folder.resolve("data_batch_1.bin")));
    assertEquals(Stream.of(ARCHIVE, FOLDER).sorted().toList(), names(cache), "no temporary file or folder left");
  }

  @Test
  void defaultSpecIsTheOfficialArchive() {
    assertEquals(Cifar10.ARCHIVE_MD5, ArchiveSpec.CIFAR10.md5());
    assertEquals(Cifar10.ARCHIVE_NAME, ArchiveSpec.CIFAR10.archiveName());
    assertEquals(Cifar10.BATCHES_FOLDER, ArchiveSpec.CIFAR10.folderName());
    assertEquals(6, ArchiveSpec.CIFAR10.files().size());
    assertTrue(ArchiveSpec.CIFAR10.files().values().stream().allMatch(size -> size == 30_730_000L));
  }

  @Test
  void downloadsFromAFileUriWithProgressAndExtracts() throws Exception {
    Path source = Files.write(tmp.resolve("source.tar.gz"), ARCHIVE_BYTES);
    Path cache = tmp.resolve("cache");
    Recorder progress = new Recorder();

    Path folder = downloader.prepare(source.toUri(), cache, SPEC, progress);

    assertPrepared(cache, folder);
    assertEquals(List.of((long) ARCHIVE_BYTES.length), progress.starts);
    assertEquals(ARCHIVE_BYTES.length, progress.advanced);
    assertEquals(1, progress.finishes);
    assertArrayEquals(ARCHIVE_BYTES, Files.readAllBytes(cache.resolve(ARCHIVE)));
  }

  @Test
  void downloadsOverHttpOnceAndThenDoesNothing() throws Exception {
    URI source = serve(HTTP_OK, ARCHIVE_BYTES);
    Path cache = tmp.resolve("cache");
    Recorder first = new Recorder();

    Path folder = downloader.prepare(source, cache, SPEC, first);

    assertPrepared(cache, folder);
    assertEquals(1, requests.get());
    assertEquals(List.of((long) ARCHIVE_BYTES.length), first.starts);
    assertEquals(ARCHIVE_BYTES.length, first.advanced);
    assertEquals(1, first.finishes);

    Recorder second = new Recorder();
    assertEquals(folder, downloader.prepare(source, cache, SPEC, second));
    assertEquals(1, requests.get(), "the second call must not touch the server");
    assertTrue(second.starts.isEmpty());
    assertPrepared(cache, folder);
  }

  @Test
  void extractsAVerifiedArchiveAlreadyInTheCacheWithoutDownloading() throws Exception {
    Path cache = Files.createDirectories(tmp.resolve("cache"));
    Files.write(cache.resolve(ARCHIVE), ARCHIVE_BYTES);
    URI unreachable = tmp.resolve("no-such-source.tar.gz").toUri();

    Path folder = downloader.prepare(unreachable, cache, SPEC, DownloadListener.NONE);

    assertPrepared(cache, folder);
  }

  @Test
  void replacesACachedArchiveWithTheWrongChecksum() throws Exception {
    Path cache = Files.createDirectories(tmp.resolve("cache"));
    Files.write(cache.resolve(ARCHIVE), new byte[] {1, 2, 3});
    Path source = Files.write(tmp.resolve("source.tar.gz"), ARCHIVE_BYTES);

    Path folder = downloader.prepare(source.toUri(), cache, SPEC, DownloadListener.NONE);

    assertPrepared(cache, folder);
    assertArrayEquals(ARCHIVE_BYTES, Files.readAllBytes(cache.resolve(ARCHIVE)));
  }

  @Test
  void defaultOverloadAcceptsAnExtractedOfficialFolderWithoutNetwork() throws Exception {
    Path cache = tmp.resolve("cache");
    Path folder = Files.createDirectories(cache.resolve(FOLDER));
    for (String name : ArchiveSpec.CIFAR10.files().keySet()) {
      // sparse files: the right sizes without writing 184 MB
      try (RandomAccessFile file = new RandomAccessFile(folder.resolve(name).toFile(), "rw")) {
        file.setLength(Cifar10.BATCH_FILE_BYTES);
      }
    }
    URI unreachable = URI.create("http://127.0.0.1:1/never-contacted.tar.gz");

    assertEquals(folder, downloader.prepare(unreachable, cache, DownloadListener.NONE));
  }

  @Test
  void incompleteExtractedFolderIsReportedNotDeleted() throws Exception {
    Path cache = tmp.resolve("cache");
    Path folder = Files.createDirectories(cache.resolve(FOLDER));
    Files.write(folder.resolve("data_batch_1.bin"), TRAIN);

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(tmp.resolve("x").toUri(), cache, SPEC, DownloadListener.NONE));

    assertEquals(folder + ": test_batch.bin is missing; delete this folder and run again", e.getMessage());
    assertTrue(Files.exists(folder.resolve("data_batch_1.bin")));
  }

  @Test
  void checksumMismatchDeletesTheDownload() throws Exception {
    Path source = Files.write(tmp.resolve("source.tar.gz"), ARCHIVE_BYTES);
    Path cache = tmp.resolve("cache");
    Recorder progress = new Recorder();

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source.toUri(), cache, spec(MD5_OF_NOTHING_ELSE), progress));

    assertEquals(cache.resolve(ARCHIVE) + ": MD5 " + FakeCifar.md5(ARCHIVE_BYTES) + " does not match the expected "
        + MD5_OF_NOTHING_ELSE + "; the download is corrupt, deleted it, run again", e.getMessage());
    assertEquals(List.of(), names(cache), "no file left behind");
    assertEquals(1, progress.finishes);
  }

  @Test
  void httpNotFoundNamesTheUrlAndStatus() throws Exception {
    URI source = serve(HTTP_NOT_FOUND, "no such file".getBytes());
    Path cache = tmp.resolve("cache");

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source, cache, SPEC, DownloadListener.NONE));

    assertTrue(e.getMessage().startsWith(source + ": HTTP 404"), e.getMessage());
    assertEquals(List.of(), names(cache));
  }

  @Test
  void refusedConnectionNamesTheUrl() throws Exception {
    URI source = serve(HTTP_OK, ARCHIVE_BYTES);
    server.stop(0);
    server = null;
    Path cache = tmp.resolve("cache");

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source, cache, SPEC, DownloadListener.NONE));

    assertTrue(e.getMessage().startsWith(source + ": download into " + cache + " failed (ConnectException"),
        e.getMessage());
    assertEquals(List.of(), names(cache));
  }

  @Test
  void missingFileSourceIsReported() throws Exception {
    URI source = tmp.resolve("missing.tar.gz").toUri();
    Path cache = tmp.resolve("cache");

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source, cache, SPEC, DownloadListener.NONE));

    assertTrue(e.getMessage().startsWith(source + ": download into " + cache + " failed (FileNotFoundException"),
        e.getMessage());
    assertEquals(List.of(), names(cache));
  }

  @Test
  void truncatedArchiveLeavesNoPartialFolder() throws Exception {
    byte[] truncated = Arrays.copyOf(ARCHIVE_BYTES, ARCHIVE_BYTES.length / 2);
    URI source = serve(HTTP_OK, truncated);
    Path cache = tmp.resolve("cache");

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source, cache, spec(FakeCifar.md5(truncated)), DownloadListener.NONE));

    assertTrue(e.getMessage().startsWith(cache.resolve(ARCHIVE) + ": cannot extract into " + cache),
        e.getMessage());
    // the archive is complete and verified, only its content is bad: it stays, nothing partial does
    assertEquals(List.of(ARCHIVE), names(cache));
  }

  @Test
  void archiveWithoutTheExpectedFilesIsRejected() throws Exception {
    byte[] wrong = FakeCifar.tarGz(entries("other-folder/"));
    Path source = Files.write(tmp.resolve("source.tar.gz"), wrong);
    Path cache = tmp.resolve("cache");

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source.toUri(), cache, spec(FakeCifar.md5(wrong)), DownloadListener.NONE));

    assertEquals(cache.resolve(ARCHIVE) + ": the extracted folder " + FOLDER + " is not a folder;"
        + " this is not the expected archive, delete it and run again", e.getMessage());
    assertEquals(List.of(ARCHIVE), names(cache));
  }

  @Test
  void entryEscapingTheFolderIsRejected() throws Exception {
    Map<String, byte[]> entries = entries(FOLDER + "/");
    entries.put("../escaped.bin", new byte[] {1});
    byte[] evil = FakeCifar.tarGz(entries);
    Path source = Files.write(tmp.resolve("source.tar.gz"), evil);
    Path cache = tmp.resolve("cache");

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source.toUri(), cache, spec(FakeCifar.md5(evil)), DownloadListener.NONE));

    assertTrue(e.getMessage().startsWith(cache.resolve(ARCHIVE) + ": entry ../escaped.bin points outside"),
        e.getMessage());
    assertEquals(List.of(ARCHIVE), names(cache));
    assertFalse(Files.exists(cache.resolve("escaped.bin")));
  }

  @Test
  void unsupportedSchemeIsRejected() {
    URI source = URI.create("ftp://example.org/cifar.tar.gz");

    DataException e = assertThrows(DataException.class,
        () -> downloader.prepare(source, tmp.resolve("cache"), SPEC, DownloadListener.NONE));

    assertTrue(e.getMessage().startsWith(source + ": cannot download"), e.getMessage());
  }

  @Test
  void specRejectsBadValues() {
    assertThrows(IllegalArgumentException.class, () -> spec("not-hex"));
    assertThrows(IllegalArgumentException.class,
        () -> new ArchiveSpec("../a.tar.gz", MD5_OF_NOTHING_ELSE, FOLDER, Map.of("a", 1L)));
    assertThrows(IllegalArgumentException.class, () -> new ArchiveSpec(ARCHIVE, MD5_OF_NOTHING_ELSE, FOLDER, Map.of()));
  }
}
