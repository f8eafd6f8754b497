/**
 * CIFAR-10: the official binary batches, loaded into a compact byte-backed view
 * ({@link org.orthoinit.data.Cifar10}, {@link org.orthoinit.data.Cifar10Data}), and the download
 * and extraction of the official archive into a cache folder
 * ({@link org.orthoinit.data.Cifar10Downloader}).
 *
 * <p>Every fault a user can cause or fix (missing or damaged files, failed downloads) is a
 * checked {@link org.orthoinit.data.DataException} whose message is one line naming the file
 * and the fault. The package never prints: progress goes to a
 * {@link org.orthoinit.data.DownloadListener}.
 */
package org.orthoinit.data;
