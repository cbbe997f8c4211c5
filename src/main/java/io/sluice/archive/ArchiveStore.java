package io.sluice.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/** Where archived partitions are kept: a directory or an S3-compatible bucket. Blocking; call from a worker. */
public interface ArchiveStore {

    /** Stores a file under the key (replacing an earlier object of that key), streamed, never read whole. */
    void put(String key, Path file, String contentType) throws IOException;

    /** Stores a small object (a manifest). */
    void put(String key, byte[] bytes, String contentType) throws IOException;

    /** Opens an object for reading; {@link java.nio.file.NoSuchFileException} when there is none. */
    InputStream open(String key) throws IOException;

    /** Where a key lives, for logs and the README's runbook ({@code s3://bucket/key}, a path). */
    String location(String key);
}
