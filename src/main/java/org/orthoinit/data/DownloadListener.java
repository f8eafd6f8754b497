package org.orthoinit.data;

/**
 * Receives the progress of a download, so that the caller (not the data package, which never
 * prints) can show it.
 *
 * <p>Calls come from the downloading thread in this order: {@link #start} once,
 * {@link #advance} any number of times, {@link #finish} once, whether the download succeeded or
 * failed (so a progress bar can always be closed).
 */
public interface DownloadListener {

  /** A listener that ignores every event. */
  DownloadListener NONE = new DownloadListener() {
    @Override
    public void start(long totalBytes) {
    }

    @Override
    public void advance(long bytes) {
    }

    @Override
    public void finish() {
    }
  };

  /**
   * The transfer begins.
   *
   * @param totalBytes the announced size in bytes, or -1 when the server does not say
   */
  void start(long totalBytes);

  /**
   * More bytes arrived.
   *
   * @param bytes how many bytes arrived since the previous call (not a running total)
   */
  void advance(long bytes);

  /** The transfer ended, successfully or not. */
  void finish();
}
