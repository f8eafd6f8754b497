package org.orthoinit.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.orthoinit.data.ArchiveSpec;
import org.orthoinit.data.Cifar10;
import org.orthoinit.data.Cifar10Downloader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Downloads, checks and unpacks the official CIFAR-10 binary archive. */
@Command(name = "download", mixinStandardHelpOptions = true,
    description = "Download cifar-10-binary.tar.gz, verify its MD5, unpack it. Running it again "
        + "is a no-op.")
final class DownloadCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Cache folder (default: $${ORTHOINIT_DATA} or ~/.cache/orthoinit/cifar10).")
  Path dir;

  @Option(names = "--url", paramLabel = "URL", description = "Where to fetch the archive from "
      + "(default: ${DEFAULT-VALUE}); http(s) or file.")
  URI url = Cifar10.URL;

  /** The archive (163 MB) and the batches unpacked from it (185 MB), with room to spare. */
  private static final long ARCHIVE_AND_BATCHES = 400L << 20;

  @Override
  public Integer call() throws Exception {
    Path cache = dir != null ? dir : DataOptions.defaultCache();
    // a complete cache needs nothing written: it may sit on a read-only or full disk
    Optional<Path> ready = Cifar10Downloader.prepared(cache, ArchiveSpec.CIFAR10);
    Path batches;
    if (ready.isPresent()) {
      batches = ready.get();
    } else {
      Checks.writableFolder(cache, "--dir");
      Checks.freeSpace(cache, ARCHIVE_AND_BATCHES, "--dir");
      try (Progress.Download bar = new Progress.Download(spec.commandLine().getErr())) {
        batches = new Cifar10Downloader().prepare(url, cache, bar);
      }
    }
    spec.commandLine().getOut().println("CIFAR-10 ready in " + batches);
    return 0;
  }
}
