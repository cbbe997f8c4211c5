package io.sluice.archive;

/** An export that could not be written or verified: the partition stays, the export is retried at the next run. */
public class ArchiveException extends Exception {

    public ArchiveException(String message, Throwable cause) {
        super(message, cause);
    }

    public ArchiveException(String message) {
        super(message);
    }
}
